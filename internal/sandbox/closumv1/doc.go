// Package closumv1 is an in-process fake of the legacy Closum API v1, built
// only from its documentation (shared/seeds/closum-v1-api.txt). Serve it
// with sandbox.Start; a client's base URL is the server URL + "/api".
//
// Imitated requests (a trailing slash is optional):
//
//	POST /api/token                  {"api_username", "api_pw"} → bearer token
//	GET  /api/lead                   ?limit=&page=&sort=&direction=
//	POST /api/lead
//	GET  /api/lead/{id}
//	GET  /api/unqualified-lead       (same query)
//	POST /api/unqualified-lead
//	GET  /api/unqualified-lead/{id}
//	GET  /api/city
//	GET  /api/email, POST /api/email, GET /api/email/{id}, PUT /api/email/{id}
//	GET  /api/phone, POST /api/phone, GET /api/phone/{id}, PUT /api/phone/{id}
//	GET  /api/contact-type, POST /api/contact-type,
//	GET  /api/contact-type/{id}, PUT /api/contact-type/{id}
//
// Nothing else: there is no lead or unqualified-lead update or delete, no
// delete of anything, no city by id. An unknown path is 404; a documented
// path with another method (PUT /api/lead/1) is 405 with an Allow header.
//
// What the doc shows and the fake does:
//   - POST /api/token answers {"success": true, "data": {"token",
//     "expires_in": 604800, "expiration_date": "…+00:00"}}; the token is a
//     JWT like the example's ({"sub":1,"exp":…}, HS256). Every other call
//     needs "Authorization: Bearer <token>". The lifetime is SetTokenTTL's
//     (DefaultTokenTTL by default) on the Options.Now clock; TokenIssues
//     counts logins.
//   - Success is {"success": true, "data": …}; lists add "pagination"
//     {page_count, current_page, has_next_page, has_prev_page, count,
//     limit}. Querystring limit (default 25), page (1), sort (id),
//     direction (asc). Dates look like "2018-01-01T10:00:00+00:00" (UTC).
//   - Objects have exactly the examples' fields: list items of leads carry
//     phone {extension, number} and email {email}; a lead view adds the
//     ids of its email and phone records; unqualified leads show phone
//     {number} and email {email} only. Creates answer {"id": N}; PUTs
//     answer "data": [].
//   - A lead's email and phone are records of their own: PUT
//     /api/email/{id} and /api/phone/{id} (ids from the lead view) change
//     what the lead shows. That is the only way to change a lead.
//
// Choices where the doc is silent. The token payload and the pagination
// block are those of CakePHP 3 with the JwtAuth and Crud plugins, so
// where that stack has a known behaviour the fake follows it; otherwise it
// takes the strictest plausible rule.
//   - Errors are Crud's: {"success": false, "data": {"message", "url",
//     "code"}}, "url" being the request path. Validation failures are HTTP
//     400 (the doc's "Your request is invalid"; Crud's own default is 422)
//     with "errorCount" and "errors" nested by field then rule, e.g.
//     {"email": {"email": {"_required": "This field is required"}}}; the
//     message is "A validation error occurred" or "N validation errors
//     occurred". All problems are reported at once.
//   - Auth: a missing, unknown, revoked or expired token gets 401 "You are
//     not authorized to access that location." (the same for all, as
//     JwtAuth does); wrong credentials get 401 "Invalid username or
//     password". Routing comes before auth (404/405 need no token). Tokens
//     are kept in memory only: a restarted sandbox wants a new login. The
//     password is the API key: Options.Password and every Options.APIKeys
//     entry log in as the one user.
//   - Creates answer HTTP 201 (Crud's add action), reads and PUTs 200.
//   - Bodies must be Content-Type application/json holding one JSON
//     object ("absolutely correct JSON"); anything else is 400.
//   - Fields not in the doc's request table are refused (rule "_unknown"),
//     read-only ones included, in nested objects too. Unqualified leads also
//     accept city_id, which their examples show. An update body may carry
//     "id" (the examples do); it must equal the URL's.
//   - Required: a lead or unqualified lead needs an email or a phone
//     object; an unqualified lead needs contact_type_id naming an existing
//     contact type (a fresh sandbox has 1, "My Sample Contact Type", so the
//     doc's example works). name is optional but not "". email objects
//     take {"email"} only, a bare address with a dotted domain (CakePHP's
//     rule). phone objects take number (6–15 digits, separated at most by
//     spaces, dashes, dots, parentheses; no "+") and optional extension
//     (the country code, 1–4 digits such as "001"). An opt-in object needs
//     sms and email booleans (true/false, 0/1, "0"/"1"); enviroment is
//     optional, an object (the example) or a string holding one (the
//     property table), of the eight documented keys with string values.
//     custom_data is a string holding a JSON object. Integers may be JSON
//     numbers or digit strings (the doc sends "contact_type_id": "1").
//     city_id must be a known city. JSON null means "not sent".
//   - Duplicates are allowed everywhere: a second lead with the same
//     email is a second lead with its own email record. The doc never says
//     otherwise, and a legacy API that duplicates is what a client must
//     guard against (look before you create).
//   - PUT /api/phone requires number; an extension not sent is kept.
//   - Paging follows CakePHP 3's Paginator: junk or 0 for limit or page
//     means 1, limit is capped at 100 (pagination then says "limit": 100),
//     "limit" is null unless it differs from 25, a page past the last is
//     404 "Not found". sort names a column of the list's objects (else id);
//     direction is desc (any case) or asc; ties keep ascending id, so
//     pages never overlap.
//   - Opt-ins appear in the single-record views as lead_opt_in /
//     unqualified_lead_opt_in (the documented properties; the examples
//     omit them), only when one was sent; enviroment is written as JSON
//     text, its documented type being string.
//   - Rate limit (undocumented; the doc's error table even drops 429):
//     per user (the bearer token's, or the api_username of a login),
//     HTTP 429 with the error body and Retry-After in whole seconds; the
//     Gate's bare variant is a 429 with neither.
//   - Phones are checked on the way in, so is_valid is always 1; email
//     status is always 1. Cities are a fixed handful (ids 1–10, 40, 213).
//   - A state file that fails to load is never overwritten: Save and Close
//     report it until Reset.
package closumv1
