from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from baogong.core import audit
from baogong.core.audit import SystemActor
from baogong.core.authentication import invalidate_tokens
from baogong.core.models import ApiToken


class Command(BaseCommand):
    help = "Manage API tokens: `token create USERNAME [--name N]` prints a new token; `token revoke PREFIX`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it.")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        revoke = sub.add_parser("revoke", help="Revoke every token starting with PREFIX.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor("cli")
        if options["action"] == "create":
            try:
                user = get_user_model().objects.get(username=options["username"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"no such user: {options['username']}") from exc
            raw = ApiToken.generate()
            with transaction.atomic(durable=True):
                token = ApiToken.objects.create(
                    user=user, name=options["name"], prefix=raw[:8], digest=ApiToken.digest_of(raw)
                )
                audit.record("create_token", token, actor=actor, after={"user": user.username, "prefix": token.prefix})
            self.stdout.write(raw)
        else:
            with transaction.atomic(durable=True):
                tokens = list(ApiToken.objects.filter(prefix__startswith=options["prefix"][:8], is_active=True))
                for token in tokens:
                    ApiToken.objects.filter(pk=token.pk).update(is_active=False)
                    invalidate_tokens()  # the update sends no signal
                    audit.record(
                        "revoke_token", token, actor=actor, before={"is_active": True}, after={"is_active": False}
                    )
            self.stdout.write(f"revoked {len(tokens)}")
