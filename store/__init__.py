"""The archive database: schema, versions, views. Knows nothing of HTTP or HTML."""
