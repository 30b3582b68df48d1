"""Every multi-step write of pacta (STYLE.md habit 5).

One `do_<verb>_<noun>()` function per change: it checks what must hold, writes
the rows and the audit entry in one transaction, and takes `acting_user` by
keyword. Views, the API, the CLI and the importers call these; they never save
several models themselves. Modules: `register` (parties, agreements, versions,
commitments), `events` (event imports), `watch` (actions, absences, calendar
tokens), `engagement` (intakes, status updates, check-ins), `review` (coverage
links, the top-customers audit), `mappings` (column mappings), `api` (API
tokens, webhooks), `attachments` (files kept with agreements).
"""
