"""The Power BI project and the Python that understands it.

`Retail.SemanticModel/` (TMDL, DirectQuery over the SQL pool's reporting views) and `Retail.Report/` (PBIR), opened
together through `Retail.pbip`; `tmdl.py` reads TMDL, `validate/` checks the project against the SQL pool and the
DirectQuery best-practice rules (`retail model validate`); `dashboard/` builds the local preview page
(`retail dashboard`). Publishing is a deployer step (`deploy/steps/powerbi.py`). See README.md for the decisions.
"""
