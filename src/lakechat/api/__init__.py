"""The HTTP API: FastAPI app factory, middleware, error handling and routes."""
