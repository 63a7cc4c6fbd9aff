"""The referral domain: model, field validators, cross-field rules and the filing use case.

Pure: no I/O beyond reading its own package data, no clock, no environment.
"""
