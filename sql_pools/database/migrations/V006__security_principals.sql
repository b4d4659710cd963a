-- Database roles (people and identities are added per environment by the deployer: Entra users and groups
-- FROM EXTERNAL PROVIDER, then ALTER ROLE ... ADD MEMBER; none are named here).
--   retail_powerbi        the Power BI service principal (DirectQuery); sees every region, and the semantic
--                         model's roles filter by region for report users
--   retail_report_reader  people and tools reading the reporting views; rows filtered by their regions
--   retail_analyst        ad-hoc SQL: the reporting views plus chosen base columns (no e-mail hash)
--   retail_all_regions    head office: exempt from the region filter
--   retail_pii_reader     sees masked columns unmasked
--   retail_loader         the pipelines' managed identity: runs the load procedures
--   retail_dba            reads the DMVs
CREATE ROLE retail_powerbi;
CREATE ROLE retail_report_reader;
CREATE ROLE retail_analyst;
CREATE ROLE retail_all_regions;
CREATE ROLE retail_pii_reader;
CREATE ROLE retail_loader;
CREATE ROLE retail_dba;
GO
-- Which regions a principal (USER_NAME(): an Entra user or group name) may see. Maintained by the data owners.
CREATE TABLE sec.region_access (
    principal_name NVARCHAR(128) NOT NULL,
    region NVARCHAR(40) NOT NULL
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (principal_name, region));
