"""HTTP plumbing shared by every module: the versioned routers, problem+json, middleware."""
