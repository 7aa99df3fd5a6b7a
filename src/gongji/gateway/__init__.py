"""The national interface gateway (定点医药机构接口规范): an existing HIS calls gongji as it
calls the national platform. The gateway only translates: every rule runs in the services."""
