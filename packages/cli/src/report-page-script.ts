/**
 * The inline script of the HTML report: reads the JSON data island `#report-data` and draws the summary,
 * the bars per scope, one SVG burn-down chart per limit with a period, and the top spenders. Every
 * text goes through `textContent` (scope ids are user data), never `innerHTML`.
 *
 * @example
 * const html = `<script>${reportPageScript}</script>`
 */
export const reportPageScript = String.raw`
(function () {
  'use strict'
  var data = JSON.parse(document.getElementById('report-data').textContent)
  var SVG = 'http://www.w3.org/2000/svg'
  var integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
  var order = ['global', 'user', 'agent', 'task', 'thread', 'model']
  var unitNames = { tokens: 'tokens', inputTokens: 'input tokens', outputTokens: 'output tokens', costUsd: 'USD', requests: 'requests' }

  function el(tag, attrs, children) {
    var node = document.createElement(tag)
    for (var key in attrs || {}) node.setAttribute(key, attrs[key])
    ;(children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
    })
    return node
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag)
    for (var key in attrs) node.setAttribute(key, attrs[key])
    if (text !== undefined) node.textContent = text
    return node
  }
  // The core's formatAmount rule: cents from $1 up and for whole cents, else four decimals.
  function amount(value, unit) {
    if (unit !== 'costUsd') return integer.format(value)
    if (value === 0 || Math.abs(value) >= 1) return '$' + value.toFixed(2)
    if (Math.abs(value) < 0.0001) return value > 0 ? '<$0.0001' : '-<$0.0001'
    var cents = value * 100
    return '$' + (Math.abs(cents - Math.round(cents)) < 1e-9 ? value.toFixed(2) : value.toFixed(4))
  }
  function label(scope, scopeId) { return scope === 'global' ? 'all usage' : scopeId || scope }
  function duration(ms) {
    var sizes = [[604800000, 'w'], [86400000, 'd'], [3600000, 'h'], [60000, 'm'], [1000, 's']]
    for (var i = 0; i < sizes.length; i++) if (ms % sizes[i][0] === 0) return ms / sizes[i][0] + sizes[i][1]
    return ms + 'ms'
  }
  function withUnit(value, unit) {
    return unit === 'costUsd' ? amount(value, unit) : amount(value, unit) + ' ' + unitNames[unit]
  }
  function period(name) {
    if (name === 'none') return 'all time'
    var m = /^rolling:(\d+):(\d+)$/.exec(name)
    return m ? 'rolling ' + duration(Number(m[1])) : name
  }
  function time(ms) { return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' }
  function level(share) { return share >= 0.9 ? 'crit' : share >= 0.75 ? 'warn' : 'ok' }
  function rank(scope) { var i = order.indexOf(scope); return i === -1 ? order.length : i }
  function bar(share, reservedShare) {
    var fill = el('div', { class: 'bar-fill ' + level(share), style: 'width:' + Math.min(100, share * 100).toFixed(2) + '%' })
    var children = [fill]
    if (reservedShare > 0) {
      var left = Math.min(100, share * 100)
      children.push(el('div', { class: 'bar-reserved', style: 'left:' + left.toFixed(2) + '%;width:' + Math.min(100 - left, reservedShare * 100).toFixed(2) + '%' }))
    }
    return el('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': String(Math.round(share * 100)), 'aria-valuemin': '0', 'aria-valuemax': '100' }, children)
  }

  // Summary cards.
  var t = data.totals
  document.getElementById('summary').appendChild(el('div', { class: 'cards' }, [
    el('div', { class: 'card' }, [el('b', {}, [amount(t.tokens, 'tokens')]), el('span', {}, ['tokens (' + amount(t.inputTokens, 'tokens') + ' in, ' + amount(t.outputTokens, 'tokens') + ' out)'])]),
    el('div', { class: 'card' }, [el('b', {}, [amount(t.costUsd, 'costUsd')]), el('span', {}, ['cost'])]),
    el('div', { class: 'card' }, [el('b', {}, [amount(t.requests, 'requests')]), el('span', {}, ['requests'])]),
    el('div', { class: 'card' }, [el('b', {}, [String(data.limits.length)]), el('span', {}, [data.limits.length === 1 ? 'limit in its current period' : 'limits in their current period'])]),
  ]))

  // Bars per scope.
  var limits = document.getElementById('limits')
  if (data.limits.length === 0) {
    limits.appendChild(el('p', { class: 'empty' }, [data.hasLimits ? 'No limit has been used in its current period.' : 'No limits: the store keeps no caps, pass --config with the limits to see bars.']))
  }
  var scopes = []
  data.limits.forEach(function (s) { if (scopes.indexOf(s.scope) === -1) scopes.push(s.scope) })
  scopes.sort(function (a, b) { return rank(a) - rank(b) || a.localeCompare(b) })
  scopes.forEach(function (scope) {
    var group = el('div', { class: 'scope', 'data-scope': scope }, [el('h3', {}, [scope])])
    data.limits.filter(function (s) { return s.scope === scope }).forEach(function (s) {
      var share = s.limit === 0 ? (s.used > 0 ? 1 : 0) : s.used / s.limit
      var reservedShare = s.limit === 0 ? 0 : s.reserved / s.limit
      var numbers = amount(s.used, s.unit) + ' / ' + withUnit(s.limit, s.unit) + ' · ' + Math.floor(share * 100) + '%'
      if (s.granted > 0) numbers += ' (' + amount(s.granted, s.unit) + ' granted)'
      if (s.reserved > 0) numbers += ' (+' + amount(s.reserved, s.unit) + ' reserved)'
      group.appendChild(el('div', { class: 'limit-row', 'data-limit': s.limitName, 'data-id': s.scopeId, 'data-unit': s.unit }, [
        el('div', { class: 'label', title: s.limitName }, [label(scope, s.scopeId), el('small', {}, [period(s.period)])]),
        bar(share, reservedShare),
        el('div', { class: 'numbers' }, [numbers]),
      ]))
    })
    limits.appendChild(group)
  })

  // Burn-down charts.
  var charts = document.getElementById('charts')
  var drawn = data.burnDowns.filter(function (b) { return b.kind !== 'all-time' })
  if (drawn.length === 0) charts.appendChild(el('p', { class: 'empty' }, ['No limit with a period (hour, day, week, month or rolling) has usage yet.']))
  drawn.forEach(function (b) { charts.appendChild(burnDown(b)) })

  function burnDown(b) {
    var W = 360, H = 190, L = 56, R = 12, T = 14, B = 30
    var end = b.kind === 'rolling' ? b.now : b.end
    var span = Math.max(1, end - b.start)
    var lowest = Math.min(0, b.limit - Math.max(b.used, b.projectedUsed || 0))
    var top = Math.max(b.limit, 1e-9)
    function x(at) { return L + ((Math.min(Math.max(at, b.start), end) - b.start) / span) * (W - L - R) }
    function y(remaining) { return T + ((top - remaining) / (top - lowest)) * (H - T - B) }
    var chart = svg('svg', { class: 'burndown', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'data-limit': b.limitName, 'data-id': b.scopeId, 'data-unit': b.unit })
    chart.appendChild(svg('title', {}, 'Remaining ' + unitNames[b.unit] + ' of ' + b.limitName + ' for ' + label(b.scope, b.scopeId)))
    ;[0.5].forEach(function (f) { chart.appendChild(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(top * f), y2: y(top * f) })) })
    chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: y(0), y2: y(0) }))
    chart.appendChild(svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }))
    chart.appendChild(svg('line', { class: 'cap', x1: L, x2: W - R, y1: y(b.limit), y2: y(b.limit) }))
    chart.appendChild(svg('text', { x: L - 4, y: y(b.limit) + 4, 'text-anchor': 'end' }, amount(b.limit, b.unit)))
    chart.appendChild(svg('text', { x: L - 4, y: y(0) + 4, 'text-anchor': 'end' }, '0'))
    var points = b.points.map(function (p) { return x(p.at).toFixed(1) + ',' + y(b.limit - p.used).toFixed(1) })
    if (b.kind === 'rolling') {
      // Steps: usage lands at the end of each bucket.
      points = []
      b.points.forEach(function (p, i) {
        if (i > 0) points.push(x(p.at).toFixed(1) + ',' + y(b.limit - b.points[i - 1].used).toFixed(1))
        points.push(x(p.at).toFixed(1) + ',' + y(b.limit - p.used).toFixed(1))
      })
    }
    chart.appendChild(svg('polyline', { class: 'remaining', points: points.join(' ') }))
    if (b.projectedUsed !== null) {
      var over = b.projectedUsed > b.limit
      chart.appendChild(svg('polyline', { class: 'projection' + (over ? ' over' : ''), points: x(b.now).toFixed(1) + ',' + y(b.limit - b.used).toFixed(1) + ' ' + x(end).toFixed(1) + ',' + y(b.limit - b.projectedUsed).toFixed(1) }))
      chart.appendChild(svg('line', { class: 'now', x1: x(b.now), x2: x(b.now), y1: T, y2: H - B }))
    }
    chart.appendChild(svg('text', { x: L, y: H - 10 }, time(b.start).slice(5)))
    chart.appendChild(svg('text', { x: W - R, y: H - 10, 'text-anchor': 'end' }, b.kind === 'rolling' ? 'now' : time(end).slice(5)))
    var remaining = b.limit - b.used
    var caption = el('figcaption', {}, [label(b.scope, b.scopeId) + ' · ' + unitNames[b.unit], el('small', {}, [b.scope + ' · ' + period(b.period)])])
    var lines = [amount(Math.max(0, remaining), b.unit) + ' of ' + withUnit(b.limit, b.unit) + ' left']
    if (b.projectedUsed !== null) lines.push('on pace for ' + amount(b.projectedUsed, b.unit) + ' used by ' + time(end) + (b.projectedUsed > b.limit ? ' (over the limit)' : ''))
    if (b.kind === 'rolling') {
      var w = /^rolling:(\d+):(\d+)$/.exec(b.period)
      var used = b.points.length - 1
      if (w) lines.push('usage in ' + used + ' of the window\'s ' + w[2] + ' steps of ' + duration(Number(w[1]) / Number(w[2])))
    }
    if (b.kind === 'calendar' && !b.fromHistory) lines.push('no usage history recorded for this period: a straight line from its start')
    b.previous.forEach(function (p) { lines.push('period from ' + time(p.periodStart) + ': ' + amount(p.used, b.unit) + ' used') })
    return el('figure', { class: 'burndown-card' }, [caption, chart, el('p', { class: 'note' }, [lines.join(' · ')])])
  }

  // Top spenders.
  var topSection = document.getElementById('top')
  var topOrder = ['agent', 'user', 'model']
  function topRank(scope) { var i = topOrder.indexOf(scope); return i === -1 ? topOrder.length : i }
  var topScopes = Object.keys(data.top).sort(function (a, b) { return topRank(a) - topRank(b) || a.localeCompare(b) })
  if (topScopes.length === 0) topSection.appendChild(el('p', { class: 'empty' }, ['No usage tracked yet.']))
  topScopes.forEach(function (scope) {
    var rows = data.top[scope].map(function (s) {
      var share = t.tokens > 0 ? s.usage.tokens / t.tokens : 0
      return el('tr', { 'data-id': s.id }, [
        el('td', {}, [s.id]), el('td', {}, [amount(s.usage.tokens, 'tokens')]), el('td', {}, [amount(s.usage.costUsd, 'costUsd')]),
        el('td', {}, [amount(s.usage.requests, 'requests')]), el('td', {}, [bar(share, 0), ' ' + Math.round(share * 100) + '%']),
      ])
    })
    topSection.appendChild(el('h3', {}, ['by ' + scope]))
    topSection.appendChild(el('table', { class: 'top', 'data-scope': scope }, [
      el('thead', {}, [el('tr', {}, [el('th', {}, [scope]), el('th', {}, ['tokens']), el('th', {}, ['cost']), el('th', {}, ['requests']), el('th', {}, ['share of tokens'])])]),
      el('tbody', {}, rows),
    ]))
  })
  document.body.setAttribute('data-rendered', 'true')
})()
`
