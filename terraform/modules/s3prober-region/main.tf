# One region's s3prober: a Debian 12 EC2 instance running the container with podman.
# Why not ECS/Fargate: the tracer needs CAP_BPF and CAP_PERFMON. Fargate only allows adding
# SYS_PTRACE and ECS task definitions cannot name BPF/PERFMON (only the far broader SYS_ADMIN).
# Why podman, not Docker: the image runs as uid 10001, and Docker does not make --cap-add
# capabilities effective for a non-root user (no ambient set), podman does.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

locals {
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id

  config_parameter_name = "/${var.name}/${local.region}/config"

  # Every S3 permission is scoped to these ARNs.
  canary_bucket_arn = (var.canary_bucket_mode == "fixed"
    ? "arn:${local.partition}:s3:::${var.canary_bucket_name}"
  : "arn:${local.partition}:s3:::${var.canary_bucket_prefix}-*")
  canary_objects_arn = "${local.canary_bucket_arn}/${var.canary_key_prefix}*"
  # The durable set's and the replications' keys, under the same key prefix (src/probes/naming.ts).
  durable_bucket_arns     = var.durable_bucket == null ? [] : ["arn:${local.partition}:s3:::${var.durable_bucket}"]
  durable_objects_arns    = [for b in local.durable_bucket_arns : "${b}/${var.canary_key_prefix}durable/*"]
  replicated_bucket_arns  = [for b in var.replicated_buckets : "arn:${local.partition}:s3:::${b}"]
  replicated_objects_arns = [for b in local.replicated_bucket_arns : "${b}/${var.canary_key_prefix}replication/*"]

  container_name = var.name

  user_data = templatefile("${path.module}/templates/user-data.sh.tftpl", {
    image             = var.image
    container_name    = local.container_name
    region            = local.region
    config_parameter  = aws_ssm_parameter.config.name
    secret_parameters = var.secret_parameters
    scrape_port       = var.scrape_port
    enable_tracer     = var.enable_tracer
    ecr_registry      = var.ecr_repository_arn == null ? "" : split("/", var.image)[0]
  })

  tags = merge({ "app.kubernetes.io/name" = "s3prober", Name = "${var.name}-${local.region}" }, var.tags)
}

resource "aws_ssm_parameter" "config" {
  name        = local.config_parameter_name
  description = "s3prober configuration for ${local.region}"
  type        = "String"
  tier        = length(var.config_yaml) > 4096 ? "Advanced" : "Standard"
  value       = var.config_yaml
  tags        = local.tags
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "s3prober: scrape port from the Prometheus CIDRs only"
  vpc_id      = var.vpc_id
  tags        = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "scrape" {
  for_each = toset(var.scrape_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "Prometheus scrape of s3prober /metrics"
  ip_protocol       = "tcp"
  from_port         = var.scrape_port
  to_port           = var.scrape_port
  cidr_ipv4         = each.value
  tags              = local.tags
}

# Probing arbitrary S3 endpoints (any port) and reaching SSM/ECR/CloudWatch needs outbound access.
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "S3 endpoints, SSM, image registry, CloudWatch Logs"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

resource "aws_instance" "this" {
  ami                         = data.aws_ssm_parameter.ami.insecure_value
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.this.id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  associate_public_ip_address = var.associate_public_ip
  user_data                   = local.user_data
  # A new config or image means a fresh instance: config is read once at boot.
  user_data_replace_on_change = true

  # IMDSv2 only; hop limit 2 lets the container (one bridge hop) use the instance role, e.g. for
  # targets with `credentials: {source: default}` on AWS S3.
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  root_block_device {
    volume_size = 16
    volume_type = "gp3"
    encrypted   = true
  }

  tags = local.tags
}
