"""Content-Security-Policy for every HTML page (Django 5.2 has none built in).

The policy allows scripts, styles and images from pacta's own origin only:
no inline `<script>`, no `style=` attributes, no `on…=` handlers. pacta's
templates keep to that (htmx is told not to inject its indicator styles, see
`templates/base.html`; small behaviours live in `static/pacta/pacta.js`).
"""

POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


class ContentSecurityPolicyMiddleware:
    """Add the Content-Security-Policy header to every HTML response that has none.

    A view that needs a narrower or wider policy sets the header itself; it is
    left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and _is_html(response):
            response["Content-Security-Policy"] = POLICY
        return response


def _is_html(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"
