// Package closum is an in-process fake of the Closum API v2, built only
// from its Postman collection (shared/seeds/closum-v2.postman.json). Serve
// it with sandbox.Start; a client's base URL is the server URL + "/v2".
//
// Imitated requests (a trailing slash is optional on every path):
//
//	GET    /v2/lead/?limit=&page=&email=&name=&contact_lifecycle_stage_id=
//	GET    /v2/lead/view/{id}          (?finder=email|mobile: {id} is an email or a number)
//	POST   /v2/lead/add/
//	PUT    /v2/lead/edit/{id}
//	PUT    /v2/lead/edit-by-email
//	DELETE /v2/lead/delete/{id}
//	GET    /v2/contact/list?limit=&page=
//	GET    /v2/contact/view/{id}
//	POST   /v2/contact/add
//	PUT    /v2/contact/edit/{id}
//	DELETE /v2/contact/delete/{id}      (with the contact's lead)
//	GET    /v2/field/
//	GET    /v2/tag/?limit=&page=
//	POST   /v2/tag/add/
//	DELETE /v2/tag/delete/{id or name}
//	GET    /v2/contact-tag?limit=&page=&tag=
//	POST   /v2/contact-tag/add-tag-by-email/
//	POST   /v2/contact-tag/add-lead-tag/{lead_id}
//	DELETE /v2/contact-tag/remove-tag-by-email/
//
// Not imitated (404): lead notes, messaging (SMS, e-mail templates and
// activity, WhatsApp, numbers), lifecycle stages, users, sales sequences,
// topics, URL shortening, event tracking. Webhooks are outgoing and absent.
//
// What the collection shows and the fake does:
//   - Auth is the api-key query parameter. A missing or wrong key gets HTTP
//     200 {"status": false, "code": 200, "responseData": [], "message": [],
//     "errors": ["Invalid API Key"], "timestamp": …}, the one error example.
//   - Success is {"status": true, "code": 200, "responseData": …, "message":
//     ["success"], "errors": [], "timestamp": …}; dates look like
//     "2025-10-24T15:45:15+00:00" (always written in UTC here).
//   - Lists carry CakePHP 3's paginator block (finder, page, current, count,
//     perPage, prevPage, nextPage, pageCount, sort, direction, limit,
//     sortDefault, directionDefault, scope), sorted creation_date DESC.
//   - Lead list items and lead_data, contacts and contact_data, fields have
//     exactly the examples' fields. Lead lists carry no custom fields or
//     consent: only lead/view shows them.
//   - lead/add: email or mobile_number required; consent_email and
//     consent_sms required booleans; contact_lifecycle_stage_id 1–9;
//     birth_date Y-m-d; custom_data JSON; tags; custom_fields {var: value};
//     update_enabled. Lead edits cannot change the email.
//
// Choices where the collection is silent (the strictest plausible one):
//   - Every application error (validation, not found, duplicate) is HTTP 200
//     with status false, code 200 and all problems listed in errors, like
//     the auth error. Unknown paths and wrong methods are HTTP 404 (CakePHP's
//     missing route), a malformed JSON body HTTP 400, a page past the last
//     HTTP 404 "Out of range page requested" (CakePHP's paginator); all with
//     the error envelope and the matching code.
//   - The key is checked before the route. It is never written back. Every
//     key of Options.Keys (APIKey and APIKeys, one organisation) is accepted.
//   - Rate limit (undocumented): HTTP 429, the error envelope with code 429
//     and errors ["Too Many Requests"], Retry-After in whole seconds; the
//     Gate's "bare" variant is a 429 with no body and no Retry-After, as a
//     Cloudflare edge (the examples' Server header) may send.
//   - Bodies are read as PHP would: JSON only with Content-Type
//     application/json; url-encoded and multipart forms with tags[N] and
//     custom_fields[var] keys; any other body is ignored, so its fields
//     count as missing.
//   - Booleans are what CakePHP's rule accepts: true, false, 0, 1, "0", "1".
//     Integers may be numbers or digit strings. JSON null means "not sent".
//   - limit absent → 20 and paginator limit null; "limit=" or junk → 1 (the
//     examples' perPage 1 for "limit=&page="); above 100 → 100.
//   - Data model: one contact per email (any case); a lead belongs to one
//     contact and a contact has at most one lead. A lead's name, email,
//     phone, consents, birth date, tags and custom fields are its contact's.
//   - lead/add for an email a contact already has (or, with no email, a
//     mobile number) fails with "A contact with this email already exists"
//     — even if that contact has no lead — unless update_enabled is true:
//     then the contact is updated and its lead updated (or created), and the
//     answer is the same [{"lead_id": N}] as for a new lead. contact/add has
//     no update_enabled and refuses duplicates the same way.
//   - Write answers are one-element arrays, as Contact Add and Topic Add
//     show: [{"lead_id": N}], [{"contact_id": "uuid"}], [{"tag_id": N}];
//     deletes and contact-tag writes answer [].
//   - contact/add requires the same as lead/add (email or mobile, both
//     consents). Edits require nothing and change only the fields sent.
//   - lead/edit: an "email" equal to the lead's (any case) is accepted, any
//     other refused with "You are not allowed to change a lead email.".
//     custom_fields, custom_data and other fields not in the Lead Edit table
//     are ignored; use lead/add with update_enabled or contact/edit for
//     custom fields. contact/edit may change the email, not to one another
//     contact holds.
//   - email must be a bare address (net/mail, no display name); "" counts
//     as not sent. mobile_number is 6–15 digits with an optional leading "+"
//     (no spaces or dashes); "" is "not sent" on add and clears the number on
//     edit, as long as the contact keeps an email. birth_date "" is invalid.
//   - Tags sent on add or edit are added (created if new, matched in any
//     case), never removed; removal is contact-tag/remove-tag-by-email.
//   - custom_fields keys must be existing field vars (exact case); values are
//     strings or numbers (stored as text); null clears.
//   - New leads get contact_lifecycle_stage_id 1, source_id 15, user_id 1,
//     custom_data "[]" (the examples' values); email_status_id is always 1.
//   - Leads, contacts and tags sort by creation order, newest first. The
//     lead list's email and name filters match exactly, in any case;
//     contact_lifecycle_stage_id takes one value or several as …[]=.
//     lead/view with a finder other than email or mobile is an error.
//   - Shapes the collection never shows: lead_sales_sequence is {"id": N}
//     once set; tag/ lists {"tags": [{"id", "tag"}], "paginator"};
//     contact-tag lists {"contact_tags": [contact_tag items], "paginator"}.
//     tag/add refuses an existing name (any case); removing a tag that does
//     not exist is an error, removing one the contact lacks is not.
//   - A fresh sandbox has fields "Lead Source" (lead_source), "Favourite
//     Colour" (favourite_colour) and "Company Name" (company_name).
//   - A state file that fails to load is never overwritten: Save and Close
//     report it until Reset.
package closum
