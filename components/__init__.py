"""Reusable webstack components, each built from pulumi-aws primitives so every child is visible."""
