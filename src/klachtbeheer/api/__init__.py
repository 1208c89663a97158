"""The project's JSON API under /api/v1/: the top layer.

`v1.api` is the one NinjaAPI: it authenticates (`auth`), turns every
exception into JSON `{code, message, errors}` (`errors`), keeps the answers to
an Idempotency-Key (`idempotency`, the one model of this app) and mounts one
router per app (`intake.api`, `complaints.api`). `middleware` makes every
other answer under /api/ JSON too and picks the language from
Accept-Language. The routers never import this package; what they share lives
in `core.api` and `core.form_schema`.
"""
