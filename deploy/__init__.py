"""The release deployer: environments, plan and apply to one Synapse workspace, the SQL pool and the lake.

`validate/` is the workspace validator (`retail workspace validate`); the rest is `retail deploy ...`
(`deploy/cli.py`, `Deployer` in `deploy/deployer.py`); see deploy/README.md.
"""
