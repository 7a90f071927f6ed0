"""The persona-mesh services: one sub-package per gRPC service, plus `common`."""
