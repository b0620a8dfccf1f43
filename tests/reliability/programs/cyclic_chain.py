"""Raise two exceptions that are each other's cause; Python prints each once."""


def main():
    first = RuntimeError("order 42 could not be saved")
    second = ValueError("stock level inconsistent")
    first.__cause__ = second
    second.__cause__ = first
    raise first


main()
