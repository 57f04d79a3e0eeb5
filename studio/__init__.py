"""The studio's own helpers beside its pages: the store and pool resources, sign-in and
who is reviewing, the chart builders and the components. Pages import from here; nothing
here imports a page."""
