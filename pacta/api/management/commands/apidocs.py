"""`pacta apidocs`: write docs/api.md from the API's OpenAPI schema (`--check`: only say whether it is current)."""

from django.core.management.base import BaseCommand, CommandError

from pacta.api.reference import DOC, current


class Command(BaseCommand):
    help = "Write docs/api.md from the API's OpenAPI schema."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit 1 when docs/api.md is not current.")

    def handle(self, *args, check: bool = False, **options):
        text = current()
        if check:
            if not DOC.exists() or DOC.read_text() != text:
                raise CommandError("docs/api.md is not current: run `pacta apidocs`.")
            self.stdout.write("docs/api.md is current.")
            return
        DOC.write_text(text)
        self.stdout.write(f"Wrote {DOC}.")
