"""The trading signal as the bus sees it: what makes one valid, and which subscriptions want it.

Pure domain: the signal bus service and any other publisher (a deployment, the SDK) check signals
with the same rules, and subscriptions, webhooks and history queries filter them the same way.
"""
