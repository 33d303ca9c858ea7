/*
 * Governance page script. Nextcloud renders the top-menu page with an empty #content and loads this
 * file through the AppAPI proxy (NEXTCLOUD.md §2.2). It loads the server-rendered page from the
 * ExApp (through the same proxy) and lets htmx handle navigation and forms.
 */
(function () {
	'use strict'
	var m = window.location.pathname.match(/^(.*?\/apps\/app_api)\/embedded\/([^/]+)\/([^/]+)(\/.*)?$/)
	if (!m) { return }
	var pageBase = m[1] + '/embedded/' + m[2] + '/' + m[3]
	var proxyBase = m[1] + '/proxy/' + m[2]
	var lang = (document.documentElement.getAttribute('lang') || 'en').slice(0, 2)

	function contentRoot() {
		var all = document.querySelectorAll('#content')
		return all[all.length - 1] // Nextcloud nests the app's #content inside the layout's
	}

	function uiPath(subPath) {
		var p = (subPath || '').replace(/\/+$/, '')
		return proxyBase + '/ui' + (p || '/groups') + window.location.search
	}

	document.addEventListener('htmx:configRequest', function (evt) {
		evt.detail.headers['X-Governance-Lang'] = lang
		evt.detail.headers['X-Governance-Page'] = pageBase
		evt.detail.headers['X-Governance-Proxy'] = proxyBase
	})

	document.addEventListener('htmx:responseError', function (evt) {
		var target = document.getElementById('gov-flash')
		if (target && evt.detail.xhr) {
			target.textContent = evt.detail.xhr.responseText || 'Error'
			target.hidden = false
			target.focus()
		}
	})

	function boot() {
		var root = contentRoot()
		if (!root || !window.htmx) { return }
		root.classList.add('gov-root')
		var holder = document.createElement('div')
		holder.id = 'gov-app'
		holder.setAttribute('aria-busy', 'true')
		root.appendChild(holder)
		window.htmx.ajax('GET', uiPath(m[4]), { target: '#gov-app', swap: 'outerHTML' })
	}

	window.addEventListener('popstate', function () {
		var s = window.location.pathname.match(/\/embedded\/[^/]+\/[^/]+(\/.*)?$/)
		window.htmx.ajax('GET', uiPath(s && s[1]), { target: '#gov-app', swap: 'outerHTML' })
	})

	if (document.readyState === 'loading') {
		document.addEventListener('DOMContentLoaded', boot)
	} else {
		boot()
	}
})()
