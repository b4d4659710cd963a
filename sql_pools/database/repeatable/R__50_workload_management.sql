-- Workload management: loads, dashboards and ad-hoc queries get their own share of the pool, so a large load
-- cannot queue the Power BI DirectQuery traffic and an analyst's scan cannot starve either.
--   wg_loads       30 % reserved, 60 % cap, 10 % per request: up to 3 concurrent loads with large grants
--   wg_dashboards  50 % reserved, 100 % cap, 5 % per request: 10 concurrent DirectQuery queries guaranteed
--   wg_adhoc       no reservation, 20 % cap, 5 % per request
-- Classifiers map roles to groups (members are assigned per environment), with importance so a dashboard query
-- goes first when both wait.
IF EXISTS (SELECT 1 FROM sys.workload_management_workload_classifiers WHERE name = N'wc_loads')
    DROP WORKLOAD CLASSIFIER wc_loads;
IF EXISTS (SELECT 1 FROM sys.workload_management_workload_classifiers WHERE name = N'wc_powerbi')
    DROP WORKLOAD CLASSIFIER wc_powerbi;
IF EXISTS (SELECT 1 FROM sys.workload_management_workload_classifiers WHERE name = N'wc_report_readers')
    DROP WORKLOAD CLASSIFIER wc_report_readers;
IF EXISTS (SELECT 1 FROM sys.workload_management_workload_classifiers WHERE name = N'wc_analysts')
    DROP WORKLOAD CLASSIFIER wc_analysts;
IF EXISTS (SELECT 1 FROM sys.workload_management_workload_groups WHERE name = N'wg_loads')
    DROP WORKLOAD GROUP wg_loads;
IF EXISTS (SELECT 1 FROM sys.workload_management_workload_groups WHERE name = N'wg_dashboards')
    DROP WORKLOAD GROUP wg_dashboards;
IF EXISTS (SELECT 1 FROM sys.workload_management_workload_groups WHERE name = N'wg_adhoc')
    DROP WORKLOAD GROUP wg_adhoc;
GO
CREATE WORKLOAD GROUP wg_loads WITH (MIN_PERCENTAGE_RESOURCE = 30, CAP_PERCENTAGE_RESOURCE = 60,
    REQUEST_MIN_RESOURCE_GRANT_PERCENT = 10);
CREATE WORKLOAD GROUP wg_dashboards WITH (MIN_PERCENTAGE_RESOURCE = 50, CAP_PERCENTAGE_RESOURCE = 100,
    REQUEST_MIN_RESOURCE_GRANT_PERCENT = 5);
CREATE WORKLOAD GROUP wg_adhoc WITH (MIN_PERCENTAGE_RESOURCE = 0, CAP_PERCENTAGE_RESOURCE = 20,
    REQUEST_MIN_RESOURCE_GRANT_PERCENT = 5);
GO
CREATE WORKLOAD CLASSIFIER wc_loads WITH (WORKLOAD_GROUP = 'wg_loads', MEMBERNAME = 'retail_loader',
    IMPORTANCE = HIGH);
CREATE WORKLOAD CLASSIFIER wc_powerbi WITH (WORKLOAD_GROUP = 'wg_dashboards', MEMBERNAME = 'retail_powerbi',
    IMPORTANCE = ABOVE_NORMAL);
CREATE WORKLOAD CLASSIFIER wc_report_readers WITH (WORKLOAD_GROUP = 'wg_dashboards',
    MEMBERNAME = 'retail_report_reader', IMPORTANCE = NORMAL);
CREATE WORKLOAD CLASSIFIER wc_analysts WITH (WORKLOAD_GROUP = 'wg_adhoc', MEMBERNAME = 'retail_analyst',
    IMPORTANCE = BELOW_NORMAL);
