// mw-threshold's rule table: the pure part (rule set <-> table rows, field checks against the runtime's
// own JSON Schema, fetched from GET mw-threshold/rule-schema). Plain browser JS, also loadable by
// node's require so the round trip is unit tested. The build copies it to resources/.
(function (root, factory) {
    if (typeof module === 'object' && module.exports) { module.exports = factory(); } else { root.MwThresholdForm = factory(); }
})(this, function () {
    'use strict';
    var LIMITS = ['HH', 'H', 'L', 'LL'];
    // Each form field: its path inside one rule. Fields not listed here are kept untouched.
    var FIELDS = [{ path: ['id'], kind: 'text' }, { path: ['metric'], kind: 'text' }];
    LIMITS.forEach(function (n) {
        FIELDS.push({ path: ['limits', n, 'value'], kind: 'number' });
        FIELDS.push({ path: ['limits', n, 'severity'], kind: 'text' });
        FIELDS.push({ path: ['limits', n, 'priority'], kind: 'numberOrText' });
    });
    FIELDS.push(
        { path: ['deadband'], kind: 'numberOrText' },
        { path: ['onDelay', 'seconds'], kind: 'number' },
        { path: ['offDelay', 'seconds'], kind: 'number' },
        { path: ['rateOfChange', 'limit'], kind: 'number' },
        { path: ['rateOfChange', 'per'], kind: 'text' },
        { path: ['rateOfChange', 'windowSeconds'], kind: 'number' },
        { path: ['rateOfChange', 'severity'], kind: 'text' },
        { path: ['staleAfterSeconds'], kind: 'number' },
        { path: ['validRange', 'min'], kind: 'number' },
        { path: ['validRange', 'max'], kind: 'number' }
    );

    function clone(v) { return v === undefined ? undefined : JSON.parse(JSON.stringify(v)); }
    function key(path) { return path.join('.'); }

    /** Rule set -> rows, in file order: class rules first, then asset overrides. */
    function toRows(set) {
        var rows = [];
        Object.keys(set.classes || {}).forEach(function (c) {
            (set.classes[c] || []).forEach(function (r) { rows.push({ scope: 'class', key: c, rule: clone(r) }); });
        });
        Object.keys(set.assets || {}).forEach(function (a) {
            (set.assets[a].rules || []).forEach(function (r) { rows.push({ scope: 'asset', key: a, rule: clone(r) }); });
        });
        return rows;
    }

    /**
     * Rows -> rule set. `base` is the set the rows came from: its other parts (asset class, disable,
     * unknown keys) and key order are kept, so an unedited table gives back the same JSON.
     */
    function fromRows(rows, base) {
        var set = clone(base || {});
        var classes = {};
        var assetRules = {};
        rows.forEach(function (row) {
            var bucket = row.scope === 'asset' ? assetRules : classes;
            (bucket[row.key] = bucket[row.key] || []).push(clone(row.rule));
        });
        if (set.classes || Object.keys(classes).length > 0) {
            var oldClasses = set.classes || {};
            set.classes = {};
            Object.keys(oldClasses).forEach(function (c) { set.classes[c] = classes[c] || []; });
            Object.keys(classes).forEach(function (c) { set.classes[c] = classes[c]; });
        }
        if (set.assets || Object.keys(assetRules).length > 0) {
            set.assets = set.assets || {};
            Object.keys(set.assets).forEach(function (a) {
                if (assetRules[a]) { set.assets[a].rules = assetRules[a]; } else if (set.assets[a].rules) {
                    delete set.assets[a].rules;
                    if (Object.keys(set.assets[a]).length === 0) { delete set.assets[a]; }
                }
            });
            Object.keys(assetRules).forEach(function (a) { if (!set.assets[a]) { set.assets[a] = { rules: assetRules[a] }; } });
        }
        return set;
    }

    function get(rule, path) {
        var v = rule;
        for (var i = 0; i < path.length && v !== undefined && v !== null; i++) { v = v[path[i]]; }
        return v;
    }

    /** Sets (or, for undefined, removes) one field; empty parent objects the form made are removed. */
    function set(rule, path, value) {
        var parents = [rule];
        var o = rule;
        for (var i = 0; i < path.length - 1; i++) {
            if (o[path[i]] === undefined || o[path[i]] === null || typeof o[path[i]] !== 'object') {
                if (value === undefined) { return; }
                o[path[i]] = {};
            }
            o = o[path[i]];
            parents.push(o);
        }
        if (value === undefined) { delete o[path[path.length - 1]]; } else { o[path[path.length - 1]] = value; }
        for (var j = path.length - 2; j >= 0; j--) {
            if (Object.keys(parents[j + 1]).length === 0) { delete parents[j][path[j]]; } else { break; }
        }
    }

    /** Text typed in a field -> the JSON value it stands for ('' removes the field). */
    function parseField(kind, text) {
        var t = String(text === undefined || text === null ? '' : text).trim();
        if (t === '') { return undefined; }
        if ((kind === 'number' || kind === 'numberOrText') && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) { return Number(t); }
        return t;
    }

    function showField(value) { return value === undefined || value === null ? '' : String(value); }

    /** The sub-schema of a rule field, walking `properties` of the runtime's rule schema. */
    function fieldSchema(ruleSchema, path) {
        var s = ruleSchema;
        for (var i = 0; i < path.length && s; i++) { s = s.properties && s.properties[path[i]]; }
        return s;
    }

    function typeOk(type, v) {
        var types = Array.isArray(type) ? type : [type];
        return types.some(function (t) {
            if (t === 'number') { return typeof v === 'number' && isFinite(v); }
            if (t === 'integer') { return typeof v === 'number' && Math.floor(v) === v; }
            if (t === 'string') { return typeof v === 'string'; }
            if (t === 'object') { return v !== null && typeof v === 'object' && !Array.isArray(v); }
            return true;
        });
    }

    /** Checks one value against a JSON Schema fragment (the keywords the rule schema uses); '' if fine. */
    function check(schema, v) {
        if (!schema) { return 'unknown field'; }
        if (schema.oneOf) {
            var passing = schema.oneOf.filter(function (s) { return check(s, v) === ''; }).length;
            return passing === 1 ? '' : 'must be a number ≥ 0 or a percentage like "2%"';
        }
        if (schema.enum) { return schema.enum.indexOf(v) >= 0 ? '' : 'must be one of ' + schema.enum.join(', '); }
        if (schema.type && !typeOk(schema.type, v)) { return 'must be ' + [].concat(schema.type).join(' or '); }
        if (typeof v === 'number') {
            if (schema.minimum !== undefined && v < schema.minimum) { return 'must be ≥ ' + schema.minimum; }
            if (schema.maximum !== undefined && v > schema.maximum) { return 'must be ≤ ' + schema.maximum; }
            if (schema.exclusiveMinimum !== undefined && !(v > schema.exclusiveMinimum)) { return 'must be > ' + schema.exclusiveMinimum; }
        }
        if (typeof v === 'string') {
            if (schema.minLength !== undefined && v.length < schema.minLength) { return 'must not be empty'; }
            if (schema.maxLength !== undefined && v.length > schema.maxLength) { return 'at most ' + schema.maxLength + ' characters'; }
            if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(v)) { return 'not allowed here'; }
        }
        return '';
    }

    /** '' if the typed text is a valid value of that field by the runtime's schema, else why not. */
    function checkField(ruleSchema, path, kind, text, required) {
        var v = parseField(kind, text);
        if (v === undefined) { return required ? 'required' : ''; }
        return check(fieldSchema(ruleSchema, path), v);
    }

    return { FIELDS: FIELDS, LIMITS: LIMITS, key: key, toRows: toRows, fromRows: fromRows, get: get, set: set, parseField: parseField, showField: showField, checkField: checkField, fieldSchema: fieldSchema };
});
