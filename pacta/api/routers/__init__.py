"""One router per resource of the API (pacta.api.api mounts them)."""
