"""The Power BI project (PBIP: TMDL semantic model, PBIR report) and the Python that validates it.

Not built yet: the folder is reserved so the layout matches the design card's.
"""
