"""Token exchange at the tenant's token endpoint: the grants (RFC 8693
On-Behalf-Of, Custom Token Exchange, Token Vault), their arguments, the
token endpoint's answers, and client authentication."""
