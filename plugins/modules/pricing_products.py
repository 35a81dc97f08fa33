#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to apranova.aws_stack
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pricing_products
short_description: Read the on-demand prices of the stack's resources in one region from the AWS Price List API
version_added: 0.3.0
description:
  - Reads, for the region O(price_region), the on-demand list prices in USD the report's cost model
    needs (Fargate vCPU-hour and GB-hour, NAT gateway hour and GB processed, Application Load Balancer
    hour and LCU-hour, RDS for PostgreSQL single-AZ instance-hour per class, RDS gp3 and gp2 storage
    GB-month, ElastiCache Redis node-hour per node type, EFS Standard and ECR storage GB-month,
    CloudWatch Logs GB ingested and GB-month stored, standard alarm and dashboard per month, Secrets
    Manager secret per month) with the Price List Query API (C(GetProducts), C(TERM_MATCH) filters on
    the service code, the product family, the product's C(regionCode) and the class or engine).
  - Returns them as RV(prices), a table with the same keys and units as the dated table of the report
    role (C(roles/report/vars/main.yml)), so the C(apranova.aws_stack.stack_cost) filter takes either.
  - A key without a product, with products of different prices, or priced in a unit of another kind
    fails the task, naming the key and the call (service code and filters) that answered nothing
    usable; a price is never taken as 0 because it was not found.
  - A tiered price gives its first paid tier (a free first tier is an allowance, not the list price).
  - Read-only; runs in check mode too.
author:
  - Apranova platform team (@apranova)
options:
  price_region:
    description:
      - The region whose prices are read, such as V(eu-west-1) (the C(regionCode) attribute of the products).
      - Independent of O(api_region), the region of the API endpoint that answers.
    type: str
    required: true
  api_region:
    description:
      - Region of the Price List Query API endpoint the client calls. The API has endpoints in these
        regions only (AWS Price List Query API, endpoints); any of them answers the prices of every region.
      - The connection option O(region) (which C(module_defaults) sets to the stack's region) is not
        used for the client.
    type: str
    default: us-east-1
    choices: [us-east-1, eu-central-1, ap-south-1]
  db_instance_classes:
    description:
      - RDS instance classes whose PostgreSQL single-AZ hourly price is read (RV(prices.rds_instance_hour)).
      - The default is the classes of the report role's dated table.
    type: list
    elements: str
    default: [db.t3.micro, db.t3.small, db.t4g.micro]
  cache_node_types:
    description:
      - ElastiCache node types whose Redis hourly price is read (RV(prices.elasticache_node_hour)).
      - The default is the node types of the report role's dated table.
    type: list
    elements: str
    default: [cache.t3.micro, cache.t3.small, cache.t4g.micro]
notes:
  - Needs the IAM action C(pricing:GetProducts), which takes no resource (C(Resource "*")).
  - The prices are the public list prices, the same for every account; a discount, a savings plan or
    the free tier is not in them.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the eu-west-1 prices of the report's price table
  apranova.aws_stack.pricing_products:
    price_region: eu-west-1
  register: eu_west_1

- name: Price the stack with them
  ansible.builtin.debug:
    msg: "{{ (bill | apranova.aws_stack.stack_cost(eu_west_1.prices, region='eu-west-1')).total }}"
  vars:
    bill: {nat_gateways: 1, load_balancers: 1}

- name: Only the classes the stack uses, from the Frankfurt endpoint of the API
  apranova.aws_stack.pricing_products:
    price_region: eu-central-1
    api_region: eu-central-1
    db_instance_classes: [db.t4g.micro]
    cache_node_types: [cache.t4g.micro]
"""

RETURN = r"""
prices:
  description:
    - The price table of O(price_region), in the shape of the report role's dated table (on-demand,
      USD; hours, GB-months, GB and months as there), plus C(source).
  returned: success
  type: dict
  contains:
    region:
      description: The region priced (O(price_region)).
      type: str
      sample: eu-west-1
    date:
      description: The day the prices were read (UTC).
      type: str
      sample: "2026-12-05"
    currency:
      description: Always C(USD).
      type: str
      sample: USD
    source:
      description: Always C(price-list-api) (the dated table has none).
      type: str
      sample: price-list-api
    fargate:
      description: ECS Fargate, Linux/x86, per vCPU-hour (C(vcpu_hour)) and GB-hour of memory (C(gb_hour)).
      type: dict
      sample: {vcpu_hour: 0.04048, gb_hour: 0.004445}
    nat_gateway:
      description: Per NAT gateway-hour (C(hour)) and GB processed (C(gb_processed)).
      type: dict
      sample: {hour: 0.048, gb_processed: 0.048}
    alb:
      description: Per Application Load Balancer-hour (C(hour)) and LCU-hour (C(lcu_hour)).
      type: dict
      sample: {hour: 0.0252, lcu_hour: 0.008}
    rds_instance_hour:
      description: RDS for PostgreSQL single-AZ instance-hour, by instance class (O(db_instance_classes)).
      type: dict
      sample: {db.t3.micro: 0.019}
    rds_storage_gb_month:
      description: RDS single-AZ storage per GB-month, by storage type (C(gp3), C(gp2)).
      type: dict
      sample: {gp3: 0.127, gp2: 0.127}
    elasticache_node_hour:
      description: ElastiCache Redis node-hour, by node type (O(cache_node_types)).
      type: dict
      sample: {cache.t3.micro: 0.018}
    efs_standard_gb_month:
      description: EFS Standard storage per GB-month.
      type: float
      sample: 0.33
    ecr_gb_month:
      description: ECR storage per GB-month.
      type: float
      sample: 0.1
    logs:
      description: CloudWatch Logs per GB ingested (C(ingest_gb)) and GB-month stored (C(stored_gb_month)).
      type: dict
      sample: {ingest_gb: 0.57, stored_gb_month: 0.03}
    alarm_month:
      description: CloudWatch standard-resolution metric alarm per month.
      type: float
      sample: 0.1
    dashboard_month:
      description: CloudWatch dashboard per month (one price for every region).
      type: float
      sample: 3.0
    secret_month:
      description: Secrets Manager secret per month.
      type: float
      sample: 0.4
sources:
  description: Per key of RV(prices) (as the cost lines name it, C(rds_instance_hour.db.t3.micro)), the product its price came from.
  returned: success
  type: dict
  sample:
    nat_gateway.hour:
      service_code: AmazonEC2
      sku: 6Q4YH9Y9JJ4NHNTK
      usagetype: EU-NatGateway-Hours
      unit: Hrs
      description: $0.048 per NAT Gateway Hour
      publication_date: "2026-11-20T18:04:43Z"
missing:
  description:
    - The keys without a usable price, each with the calls made for it (C(calls)), what they answered
      (C(problem)) and both in one line (C(message)). Empty on success; the task fails when it is not.
  returned: always
  type: list
  elements: dict
  sample: []
"""

from typing import Any, Dict

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.apranova.aws_stack.plugins.module_utils import pricing


def read(client: Any, params: Dict[str, Any]) -> Dict[str, Any]:
    """The module's return values for ``params``; raises ``pricing.MissingPrices``."""
    prices, sources = pricing.read_prices(client, params["price_region"], params["db_instance_classes"],
                                          params["cache_node_types"])
    return {"prices": prices, "sources": sources, "missing": []}


def main() -> None:
    argument_spec = dict(
        price_region=dict(type="str", required=True),
        api_region=dict(type="str", default=pricing.DEFAULT_API_REGION, choices=list(pricing.API_REGIONS)),
        db_instance_classes=dict(type="list", elements="str", default=list(pricing.DB_INSTANCE_CLASSES)),
        cache_node_types=dict(type="list", elements="str", default=list(pricing.CACHE_NODE_TYPES)),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = pricing.client(module, module.params["api_region"])
    try:
        result = read(client, module.params)
    except pricing.MissingPrices as e:
        module.fail_json(msg=str(e), missing=e.missing)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
