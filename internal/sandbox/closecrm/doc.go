// Package closecrm is an in-process fake of the Close REST API v1
// (https://api.close.com/api/v1), built from shared/seeds/close-rest-api-v1.txt
// only, so that connectors can be tested against the documented API rather
// than against each other.
//
// # What is imitated
//
//   - Authentication: HTTP Basic, the API key as username and an empty
//     password; anything else is a 401. Every key of Options.Keys (APIKey
//     and APIKeys, all of the one organization) is accepted.
//   - GET /me/ (a trimmed user object with the organization's lead statuses).
//   - Leads: GET/POST /lead/ and GET/PUT/DELETE /lead/{id}/, with nested
//     contacts and addresses on create, status or status_id (not both; the
//     first status by default), custom fields as "custom.lcf_…" keys (null
//     unsets; ".add"/".remove" on multi-valued fields in PUT), PUT as a
//     patch, date_created/date_updated kept, ids shaped like the doc's.
//   - The lead list: _skip, _limit (at most 100, more is a 400), has_more,
//     total_results, _fields (with "custom" and "_all"), and the query
//     search described in query.go: email_address:, phone:, name:, status:,
//     created/updated comparisons (as in the doc's smart views), and/or/not,
//     parentheses and sort:. Unsupported syntax is a 400.
//   - Contacts: GET/POST /contact/ and GET/PUT/DELETE /contact/{id}/,
//     emails, phones, urls, title, name, "custom.ccf_…" keys.
//   - Custom fields: GET/POST /custom_field/{lead,contact}/ and
//     GET/PUT/DELETE /custom_field/{lead,contact}/{id}/, typed values
//     (text, number, date, datetime, choices, user, hidden). Two fields per
//     object are seeded: lead "Lead Source" (text) and "Industry" (multiple
//     choices), contact "Birthday" (date) and "Role" (choices).
//   - GET /status/lead/ with the doc's four example statuses.
//   - Phones normalised to E.164 with phone_formatted and country, national
//     numbers read as US (the doc turns "9045551234" into "+19045551234").
//   - Errors: 400 {"errors": [...], "field-errors": {...}} for invalid data,
//     list items nested as {"errors": {"<index>": {...}}} as in the
//     changelog's example; {"error": "…"} for request-level errors; 404,
//     405 and 415 as the response-code table lists.
//   - Rate limits (through sandbox.Gate): with Faults.Window set (Close's
//     is 1 s), fixed enforcement windows, a limit per API key and, with
//     Faults.OrgRatePerSecond (3× the key rate for Close), one for all the
//     organisation's keys (Options.Keys) together. A 429 has
//     {"error": {"message", "rate_reset", "rate_limit", "rate_window",
//     "rate_limit_type" ("key" or "org"), "rate_endpoint_group"}},
//     x-rate-limit-limit/-remaining/-reset and retry-after (reset rounded
//     up); answered requests carry x-rate-limit-* for the limit they are
//     closest to hitting, reset in decimal seconds ("0.870663").
//   - x-http-method-override on POST, with "_params" for GETs; x-tz-offset
//     for dates in queries.
//   - Exports: POST /export/lead/ {query, format, type, fields,
//     include_activities, include_smart_fields, send_done_email}, GET
//     /export/{id}/ and GET /export/, with the documented statuses and
//     fields (n_docs, n_docs_processed, download_url); the file is served
//     gzip-compressed with Content-Encoding: gzip and Content-Type
//     application/json.
//
// # Where the doc is silent (the sandbox's choices, strict when in doubt)
//
//   - The 401 body is {"error": "…"} with a WWW-Authenticate header.
//   - A URL without its trailing "/" is a 404, not a redirect.
//   - Unknown query parameters (including lead_id on /contact/, which the
//     doc does not list) are a 400 rather than ignored; contacts have no
//     total_results, as in the doc's example.
//   - Unknown body fields, read-only ones (id, display_name, status_label,
//     date_*) and the deprecated "custom" dict and custom.FIELD_NAME keys
//     are field errors; "contacts" in a lead PUT is a field error.
//   - POST /contact/ without lead_id is a field error on lead_id ("each
//     contact belongs to exactly one Lead").
//   - _fields names that do not exist are left out silently.
//   - The default _limit is 100; _skip above 250,000 (DefaultMaxSkip,
//     SetMaxSkip) is a 400. Plain lists are in creation order.
//   - Emails must parse as bare addresses (net/mail); URLs must be absolute
//     http(s); phones must be valid for libphonenumber; an address country
//     must be a two-letter code. Email/phone/url "type" default to
//     "office"/"office"/"url".
//   - Custom values: text takes strings only; number takes numbers or
//     numeric strings (served as numbers); date is YYYY-MM-DD; datetime is
//     RFC 3339 with an offset; choices must match exactly; multi-valued
//     fields take a list; "" unsets like null. Custom field names are unique
//     (case-insensitive); a PUT that changes a field drops values that no
//     longer fit.
//   - name: matches the whole lead name, case-insensitively; phone: compares
//     E.164 forms; a query date without a time means that whole day
//     ("> day" is after it); "date_created"/"date_updated" are not search
//     keywords (the doc shows created/updated) but are accepted by sort:,
//     as are created, updated, name and a leading "-" for descending.
//   - date_updated moves only when a PUT changes something, and a lead's
//     date_updated moves when one of its contacts is created, changed,
//     moved or deleted.
//   - Rate headers are omitted when no rate is configured; a 429 injected
//     without one carries only rate_reset, x-rate-limit-reset and
//     retry-after (the doc's "stricter (unpredictable)" case). The RateLimit
//     header (limit=N, remaining=R, reset=S) is added though the doc does
//     not show it. A bare 429 has no body and no headers at all.
//   - One endpoint group for every endpoint. A window starts with the first
//     request after the last one ended; refused requests do not count.
//     Without Faults.Window the limits are token buckets (as for the other
//     fakes): x-rate-limit-limit is the burst, -reset the time until the
//     bucket is full again, and rate_window 1.
//   - A state file that cannot be read is never overwritten: Save fails
//     until Reset.
//   - Exports: each read of a job (GET /export/{id}/ or GET /export/) moves
//     it one status on, created → started → in_progress → done, so the
//     third poll sees it done. A JSON export is one JSON array with one
//     document per line; type leads gives leads as the API serves them
//     (custom.<id> keys, contacts nested) plus created_by_name and
//     updated_by_name, type contacts the contacts as /contact/ serves them,
//     lead_opps an empty array (no opportunities are imitated). fields
//     narrows the documents as _fields does. format csv is a 400 (the doc
//     shows no CSV column). The data is taken when the export is queued.
//     download_url points at the sandbox itself
//     (/sandbox-storage/close/exports/{id}.json?token=…): no API key, the
//     token only, no expiry. Exports live in memory, not in the state file.
//   - SetGenerated(n) serves n leads computed from their index on every
//     request (GET /lead/ and exports only), for listing at scale.
package closecrm
