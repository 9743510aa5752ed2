"""The HTTP API Lambda (API Gateway HTTP API, payload v2); its entry point is functions.api.app.handler.

This file stays free of imports: the routers import the helpers of this package, and the app imports the
routers, so loading any one module here never drags in the whole API.
"""
