/*
 * Governance page script. Nextcloud renders the top-menu page with an empty #content and loads this
 * file through the AppAPI proxy (NEXTCLOUD.md §2.2). It loads the server-rendered page from the
 * ExApp (through the same proxy) and lets htmx handle navigation and forms.
 *
 * Order: Nextcloud emits an ExApp's scripts sorted by path, all `defer` (NEXTCLOUD.md §2.2,
 * fixtures/appapi_embedded_scripts.json), so this file runs before js/htmx.min.js. It therefore boots
 * once htmx is there: at once if it already is, else on DOMContentLoaded (which fires after every
 * deferred script ran) or on htmx's own `htmx:load`, whichever comes first.
 */
(function () {
	'use strict'
	var m = window.location.pathname.match(/^(.*?\/apps\/app_api)\/embedded\/([^/]+)\/([^/]+)(\/.*)?$/)
	if (!m) { return }
	var pageBase = m[1] + '/embedded/' + m[2] + '/' + m[3]
	var proxyBase = m[1] + '/proxy/' + m[2]
	var lang = (document.documentElement.getAttribute('lang') || 'en').slice(0, 2)
	// The only texts not rendered by the ExApp: when it could not answer at all.
	var MESSAGES = {
		en: {
			network: 'Governance could not be reached. Check your connection and try again.',
			server: 'Governance could not complete this action. Please try again in a moment.',
		},
		fr: {
			network: 'Governance est injoignable. Vérifiez votre connexion et réessayez.',
			server: 'Governance n’a pas pu terminer cette action. Réessayez dans un instant.',
		},
	}
	var messages = MESSAGES[lang] || MESSAGES.en
	var booted = false

	function contentRoot() {
		var all = document.querySelectorAll('#content')
		return all[all.length - 1] // Nextcloud nests the app's #content inside the layout's
	}

	function uiPath(subPath) {
		var p = (subPath || '').replace(/\/+$/, '')
		return proxyBase + '/ui' + (p || '/groups') + window.location.search
	}

	// A fragment rendered by the app; not a whole document (Nextcloud's own 404 page, when the session
	// ended or the proxy refused the route, must not be pasted inside the app).
	function isAppPage(xhr) {
		return /^text\/html\b/i.test(xhr.getResponseHeader('Content-Type') || '') &&
			/\S/.test(xhr.responseText || '') && !/^\s*(<!doctype|<html)/i.test(xhr.responseText)
	}

	function flash(text) {
		var target = document.getElementById('gov-flash')
		if (!target) {
			target = document.createElement('div')
			target.id = 'gov-flash'
			target.className = 'gov-flash gov-flash-error'
			target.setAttribute('role', 'alert')
			target.tabIndex = -1
			var root = contentRoot()
			if (!root) { return }
			root.insertBefore(target, root.firstChild)
		}
		target.textContent = text // text only: never the markup of an answer
		target.hidden = false
		target.focus()
	}

	document.addEventListener('htmx:configRequest', function (evt) {
		evt.detail.headers['X-Governance-Lang'] = lang
		evt.detail.headers['X-Governance-Page'] = pageBase
		evt.detail.headers['X-Governance-Proxy'] = proxyBase
	})

	// The app answers a refused form with the form and its errors beside the fields (422, 409) and a
	// refusal with a message page (403, 404): those are pages to show, as htmx shows a 200.
	document.addEventListener('htmx:beforeSwap', function (evt) {
		var xhr = evt.detail.xhr
		if (xhr && xhr.status >= 400 && xhr.status < 500 && isAppPage(xhr)) {
			evt.detail.shouldSwap = true
			evt.detail.isError = false
		}
	})

	document.addEventListener('htmx:responseError', function () { flash(messages.server) })
	document.addEventListener('htmx:sendError', function () { flash(messages.network) })
	document.addEventListener('htmx:timeout', function () { flash(messages.network) })

	function boot() {
		var root = contentRoot()
		if (booted || !root || !window.htmx) { return }
		booted = true
		root.classList.add('gov-root')
		var holder = document.createElement('div')
		holder.id = 'gov-app'
		holder.setAttribute('aria-busy', 'true')
		root.appendChild(holder)
		window.htmx.ajax('GET', uiPath(m[4]), { target: '#gov-app', swap: 'outerHTML' })
	}

	window.addEventListener('popstate', function () {
		if (!window.htmx) { return }
		var s = window.location.pathname.match(/\/embedded\/[^/]+\/[^/]+(\/.*)?$/)
		window.htmx.ajax('GET', uiPath(s && s[1]), { target: '#gov-app', swap: 'outerHTML' })
	})

	document.addEventListener('DOMContentLoaded', boot)
	document.addEventListener('htmx:load', boot)
	window.addEventListener('load', boot)
	if (document.readyState !== 'loading') { boot() }
})()
