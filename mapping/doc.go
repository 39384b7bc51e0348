// Package mapping turns a source row (a header and its text values) into a
// Record for a target system, following a job's mapping rules.
//
// It is pure code: no I/O, no globals. Compile checks a job's rules once
// against the source header and reports every problem it finds; the Mapper
// it returns is then applied to each row with Map, which returns the mapped
// Record or a *FieldError per failing rule (joined with errors.Join), so a
// report can show every problem of a row at once.
//
// A rule reads one or several columns (or a constant), applies its transforms
// in order, falls back to its default when the result is empty and rejects
// an empty result when it is required:
//
//	mapping:
//	  - { field: name,  from: [First Name, Last Name] }          # joined with " "
//	  - { field: email, from: Email, transform: [trim, lower, email], required: true }
//	  - { field: phone, from: Phone Number, transform: phone_e164, region: US }
//	  - { field: birth_date, from: DOB, transform: date, layouts: [DD/MM/YYYY] }
//	  - { field: [first_name, last_name], from: Full Name, transform: [trim, split] }
//	  - { field: custom.Lead Source, from: Original Source, default: Import }
//	  - { field: status, value: Potential }
//
// Transforms: trim, lower, upper, title, email, phone_e164, date, split,
// digits and strip_accents; see Rule.Transform for each one's exact contract.
package mapping
