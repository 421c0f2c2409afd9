"""One process of the cross-process rate limit test (tests/api/test_concurrency.py): boots
Django from the environment it is given (the test's database and Redis), says `ready`,
waits for `go` on stdin, then sends `count` GET /api/v1/products with the key and prints
each answer's status and Retry-After as JSON.

Run as `python tests/api/_burst.py SECRET COUNT` from the repository root.
"""

from __future__ import annotations

import json
import os
import sys


def main(secret: str, count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commerce.settings")
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="localhost")
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go")
    answers = []
    for _ in range(count):
        response = client.get("/api/v1/products")
        answers.append([response.status_code, response.get("Retry-After")])
    print(json.dumps(answers), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
