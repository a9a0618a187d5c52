"""Reusable Pulumi ComponentResources for Azora's regional stacks.

Every component: a type token ``azora:<module>:<Name>``, typed args, ``parent=self`` and the
region's explicit provider on every child, stable logical names derived from the component's name
and map keys, and ``register_outputs`` with the outputs a user needs.
"""
