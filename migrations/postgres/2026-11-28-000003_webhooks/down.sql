DROP TABLE webhook_dispatch_head;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
