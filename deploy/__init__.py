"""The release deployer: environments, plan and apply to one Synapse workspace, SQL pool and Power BI.

Not built yet: the folder is reserved so the layout matches the design card's.
"""
