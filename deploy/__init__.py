"""The release deployer: environments, plan and apply to one Synapse workspace, SQL pool and Power BI.

Built so far: `validate/`, the workspace validator (`retail workspace validate`). Planning and publishing are
still to come.
"""
