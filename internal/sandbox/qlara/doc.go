// Package qlara is an in-process fake of the Qlara Platform API
// (/api/partner-gateway/v1), built only from the Postman collection
// shared/seeds/qlara-platform-api.postman.json. It imitates the documented
// API, not any client; where the collection is silent it picks the strictest
// plausible behaviour, listed below.
//
// Endpoints imitated (all need the X-API-Key header, else 401):
//
//	GET    /contacts                         find (filters, 0-based page, limit 1..1000)
//	POST   /contacts                         create → 201 {"contacts":[…],"errors":[]}
//	DELETE /contacts?ids=|notIds=            delete
//	GET    /contacts/{id}                    → the contact, 404 when absent
//	PUT    /contacts/{id}                    partial update → 200 {"contacts":[…],"errors":[]}
//	POST   /contacts/upload                  CSV/XLSX import, CREATE_UPDATE matched by phone
//	GET    /contacts/list                    find lists (bare array, paged)
//	POST   /contacts/list                    create a list → 201
//	DELETE /contacts/list?ids=               soft-delete lists
//	GET    /contacts/list/{id}               → the list, 404 when absent
//	PUT    /contacts/list/{id}               update list metadata
//	GET    /contacts/list/{id}/contacts      GET /contacts with listIds={id}; 404 for no list
//	POST   /contacts/list/contacts           add contacts to lists → 201 [association IDs]
//	DELETE /contacts/list/contacts           remove contacts from lists
//	DELETE /contacts/list/contacts/{id}      remove one association
//	POST   /exports/contacts                 queue a CSV export → 202, empty body
//	GET    /exports                          poll: {"page","limit","totalCount","totalPages","items"}
//	GET    /exports/{id}                     → {"url": …} once COMPLETED
//	POST   /exports/{id}                     regenerate an EXPIRED export → 202
//
// POST /contacts/upload/vcard and POST /exports/delivery-reports answer 501;
// the rest of the collection (campaigns, inbox, media, …) answers 404.
//
// Choices where the collection is silent or vague:
//
//   - Error bodies: every error example is empty, so errors carry a Spring
//     Boot-style JSON body {timestamp,status,error,message,path}; clients
//     should rely on the status only. 401 says "Missing or invalid API key".
//     Every key of Options.Keys (APIKey and APIKeys) is accepted.
//     An imitated path with another method is 405 with an Allow header.
//   - 429 is not documented: the fake answers like bucket4j-spring-boot-starter,
//     {"message":"Too many requests!"} with X-Rate-Limit-Retry-After-Seconds
//     (whole seconds, at least 1) and no Retry-After; sometimes (sandbox.Gate)
//     a bare 429 with neither. The rate bucket is per X-API-Key value.
//   - Request bodies are strict: unknown keys (including the read-only fields
//     of a contact such as id, isValid, listIds), wrong JSON types, trailing
//     data and bodies over 8 MiB are 400.
//   - Phone numbers must be E.164: '+', no leading 0, 7-15 digits, nothing
//     else, and a country code libphonenumber knows; otherwise 400. No
//     normalisation ("+39 333…" is refused). isValid tells whether the first
//     number is a valid number for its country; the first mobile number
//     becomes mobilePhoneNumber and communicationSupported ["SMS"].
//   - Phone numbers are unique in the account (upload matches contacts by
//     phone): creating or updating a contact with a number another contact
//     has is 409 Conflict (the status the collection's table gives for "the
//     resource already exists"). Emails are not unique: several contacts may
//     share one, and the email filter returns them all.
//   - A contact needs a phone number or an email (also after an update).
//     Emails must parse with net/mail as a bare address. mainEmail is added
//     to emailAddresses when missing; it is not derived when not given.
//     fullName, when not given on create, is firstName + " " + lastName.
//     birthday must be yyyy-MM-dd. createdAt/updatedAt are dates
//     (yyyy-MM-dd, UTC), as in the examples.
//   - PUT: a key that is absent or null leaves the field unchanged (as a Java
//     DTO cannot tell them apart); "" and [] set it to empty.
//   - GET /contacts: email and phoneNumber are exact, case-sensitive matches
//     against any of the contact's addresses/numbers (a '+' in the query
//     must be sent as %2B, like any query string). The answer is a bare
//     array with no total: a client pages until a short page. Default sort
//     fullName asc (case-insensitive), ties by id in the same direction, so
//     pages neither lose nor repeat contacts while nothing changes. Accepted
//     sortBy: id, fullName, firstName, lastName, mainEmail, city, country,
//     createdAt, updatedAt; anything else, a non-numeric page/limit, page < 0,
//     limit < 1 or > 1000 is 400. A page past the end is [].
//   - POST /contacts/list/contacts: at most 100 listIds and 1000 contactIds
//     per call (allContacts has no cap); an unknown or deleted list or an
//     unknown contact is 400 and nothing is added. It answers only the IDs of
//     associations it created. Every call is counted (ListAddCalls).
//   - Lists: name is required and not unique. Deleted lists stay readable by
//     ID (isDeleted true) but are 404 for update and for their contacts.
//   - Upload: fileName (form field) is required and picks the format: .csv
//     and .txt (delimiter sniffed among , ; tab), .tsv, .xlsx; .xls and
//     others are 400, as are non-UTF-8 text, files over 16 MiB and a first
//     row without a recognised phone or email column. The first row is
//     always the header (names are the contact's JSON names or aliases like
//     phone, email, name); without removeHead=true it is also read as data
//     and, having no valid phone or email, skipped. Rows failing validation
//     are skipped silently. Empty cells do not change an updated contact.
//     Several numbers or tags in a cell are separated by ';'. listId may be
//     a form field or a query parameter. The answer (undocumented) is a JSON
//     array of the first `limit` (default 10, 0..1000) imported contacts.
//   - Exports: 202 with an empty body, so the client finds its job in
//     GET /exports (newest first). Each GET /exports moves every unfinished
//     job one step, PENDING → IN_PROGRESS → COMPLETED, so the second poll
//     sees it available. Only exportFormat CSV; unknown list or contact IDs
//     are 400; listIds and contactIds together export their union minus
//     excludeContactIds. The data is taken when the export is queued. The
//     URL points at the sandbox itself (/sandbox-storage/exports/{id}.csv,
//     no API key, signed by a token) and expires an hour after completion
//     (Options.Now): then GET /exports/{id} is 400, the file 403, and
//     POST /exports/{id} regenerates it. Before completion GET /exports/{id}
//     is 400. The CSV is UTF-8 with a BOM, comma-separated, one column per
//     contact field named as in the JSON, list fields joined by ';'.
//   - SetGenerated(n) serves n contacts computed from their index (IDs
//     100001…) on the unfiltered GET /contacts and the whole-account
//     export, which is written as it is downloaded: listing at scale
//     without storing anything. Filters and sorts other than id, fullName,
//     createdAt and updatedAt are then a 400.
//   - IDs are numeric and start far apart (contacts 100001, lists 501,
//     associations 900001, exports 41) so mixed-up IDs fail loudly.
package qlara
