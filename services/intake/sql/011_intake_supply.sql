-- 容缺 tracking (ListApplications.supply_overdue): the applications that
-- still owe 容缺 materials are few; find them without walking the rest.
CREATE INDEX applications_supply_owed ON intake.applications (supply_by)
    WHERE supply_by IS NOT NULL;
