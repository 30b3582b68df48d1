"""The web interface's views: short functions (STYLE.md habit 6) — a
permission-checked look-up, a form, one call of a `do_*` write, then render
or redirect. Every page needs a signed-in user."""
