"""fakestripe: an offline, stateful Stripe API server for development and tests.

Run it with ``python -m fakestripe --port 12111``. The hub never imports this package;
it reaches the server over HTTP exactly as it reaches Stripe. See README.md.
"""

API_VERSION = "2026-10-28.endive"  # the version stripe==16.1.0 pins and sends
PLATFORM = "platform"  # owner key of the platform account's own objects
