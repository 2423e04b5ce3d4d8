"""Image records, members and tags: state and SQL, apart from HTTP."""
