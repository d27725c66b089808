"""Identity rules every part of the mesh agrees on, free of any transport or driver.

What a password must be and how it is hashed, what an access token claims and how it is
signed, when a signing key is published, used and retired, how refresh tokens rotate,
and which role and plan tier each RPC needs. The gateway applies these rules to its
stored users and keys; the Envoy renderer turns the access table into RBAC.
"""
