// Package closem is an in-process fake of the CLOSEM API (rev 1.22), built
// only from its help page (shared/seeds/closem-api.md). Serve it with
// sandbox.Start; a client's base URL is the server URL + "/" (the company
// base URL), and every call is
//
//	POST /?m=api&auth=KEY      form body: mode=addcontact|runsequence|scheduleappointment
//
// What the page documents and the fake does:
//   - mode is required: addcontact, runsequence or scheduleappointment.
//   - addcontact needs a phone and/or an email. Every documented field name
//     is accepted: phone|phonenumber|number|phone_number,
//     email|mail|emailaddress|email_address, fullname|name|full_name,
//     firstname|first|first_name, lastname|last|last_name, notes|note,
//     address|street, city, state, zip|zip_code|zipcode, tags|tag,
//     contactlists|contactlist|contact_lists|contact_list, sequence_id.
//     A full name is split at its first space into first and last name and
//     wins over firstname/lastname; "John" alone is a first name.
//   - Tags and contact lists are comma-separated ids; sequence_id is one id.
//     A sequence_id on addcontact starts that sequence on the contact.
//   - upsert=true updates the contact matched by email or phone. Without it
//     addcontact always adds ("add a new Users"; upsert is how to "modify
//     existing contacts"), so sending a contact twice makes a duplicate.
//   - runsequence needs sequence_id; scheduleappointment needs
//     appointment_note and appointment_timestamp. Both need at least one of
//     contact_emails, contact_phones, contact lists (four names) or tags
//     (two names), each comma-separated, and act on every contact matched by
//     any of them.
//   - appointment_timestamp is a UNIX timestamp or "MM/DD/YY HH:MM AM" or
//     "MM/DD/YYYY HH:MM PM" (either of AM/PM, in upper or lower case), and
//     must be in the future.
//
// Choices where the page is silent (documented here so clients know):
//   - Answers are JSON. Success is HTTP 200 {"success": true, …}:
//     addcontact {"contact_id": "1001", "action": "created"|"updated"};
//     runsequence {"sequence_id": "55", "contacts": N, "contact_ids": […]};
//     scheduleappointment {"appointment_id": "1", "contacts": N,
//     "contact_ids": […]}. Failure is {"success": false, "error": "…"}
//     with HTTP 401 (missing or wrong auth), 400 (missing or invalid mode or
//     fields), 404 (a path other than "/", m other than "api", or no contact
//     matched by runsequence/scheduleappointment), 405 (not POST), 413 (body
//     over 1 MiB) or 429 (rate limit).
//   - The key is checked after the path and m, before the method and mode.
//     Every key of Options.Keys (APIKey and APIKeys) is accepted.
//     It is compared in constant time and never written back; no answer
//     quotes the request URL.
//   - Fields are read from the body only, as PHP's $_POST: url-encoded or
//     multipart forms. Names are case-sensitive. Any other body (JSON
//     included) carries no fields, so mode is missing. Unknown fields are
//     ignored. Values are trimmed; an empty value counts as not sent. When
//     several aliases of one field are sent, the first non-empty one in the
//     order listed above wins.
//   - upsert is on for true, 1 or yes (any case), off otherwise.
//   - Upsert looks for the oldest contact with the email (any case), then
//     for the oldest with the phone; it changes only the fields sent (an
//     email differing only in case keeps the stored one), and adds tags and
//     contact lists (never removes them). The answer says "updated"; a
//     contact it had to add is "created".
//   - Phones match on their digits, a leading US country code 1 dropped from
//     11 digits. A phone must hold 7–15 digits, with nothing else but
//     spaces, plus signs, dashes, parentheses and dots. contact_phones must
//     be US numbers: 10 digits, or 11 starting with 1 (the listed formats
//     and the page's own examples).
//   - Emails must be bare addresses (net/mail, no display name).
//   - Ids (tags, contact lists, sequence) are positive integers; any such id
//     is accepted, since the page has no way to list or create them.
//   - Datetime strings are read in the company timezone, which is UTC here.
//   - Rate limit (undocumented): HTTP 429 {"success": false, "error": "Too
//     many requests"} with Retry-After in whole seconds; the Gate's bare
//     variant is a 429 with no body and no Retry-After.
//   - A state file that fails to load is never overwritten: Save and Close
//     report it until Reset.
package closem
