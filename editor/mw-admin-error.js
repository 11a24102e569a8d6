// What a failed admin request says, for every Millwright edit dialog and the sidebar: the package's
// admin routes answer a failure as {error: {code, message, details}} (docs/contracts.md, "Admin
// routes"). Plain browser JS, also loadable by node's require so it is unit tested. The build copies
// it to resources/; each editor file loads it and reads it only when a request fails.
(function (root, factory) {
    if (typeof module === 'object' && module.exports) { module.exports = factory(); } else { root.MwAdminError = factory(); }
})(this, function () {
    'use strict';
    function parseOrNull(text) {
        try {
            return JSON.parse(text);
        } catch {
            return null; // an HTML error page or a cut answer: the status text says enough
        }
    }
    function bodyOf(xhr) {
        var body = xhr && xhr.responseJSON;
        // A request made with dataType "text" (the sidebar's exports) has no parsed body.
        if (!body && xhr && typeof xhr.responseText === 'string' && xhr.responseText !== '') {
            body = parseOrNull(xhr.responseText);
        }
        var e = body && typeof body === 'object' ? body.error : null;
        return e && typeof e === 'object' ? e : null;
    }
    /** One line to show: the route's message, else the HTTP status text. */
    function text(xhr) {
        var e = bodyOf(xhr);
        return (e && typeof e.message === 'string' && e.message) || (xhr && (xhr.statusText || (xhr.status ? String(xhr.status) : ''))) || '';
    }
    /** Every problem the route listed, else the one line. */
    function details(xhr) {
        var e = bodyOf(xhr);
        var list = e && Array.isArray(e.details) ? e.details.filter(function (d) { return typeof d === 'string' && d !== ''; }) : [];
        return list.length > 0 ? list : [text(xhr)];
    }
    return { text: text, details: details };
});
