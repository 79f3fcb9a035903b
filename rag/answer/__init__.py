"""Answering: score the sentences of the retrieved passages, choose, and write a cited answer.

`reader_net` (torch) is imported only by the trained reader, on first use.
"""
