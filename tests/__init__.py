"""The test suite. Nothing under test may look for Google credentials on the GCE metadata
server (an outside address): google-auth reads NO_GCE_CHECK when first imported, so it is
set here, before any test module or conftest imports it."""

import os

os.environ["NO_GCE_CHECK"] = "true"
