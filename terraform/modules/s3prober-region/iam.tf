# Least privilege: S3 on the canary buckets/prefix only, the deployment's own SSM parameters,
# and (optionally) pulls from one ECR repository. Logs stay in the instance's journal.

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "Ec2AssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "${var.name}-"
  description        = "s3prober instance in ${local.region}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "${var.name}-"
  role        = aws_iam_role.this.name
  tags        = local.tags
}

data "aws_iam_policy_document" "canary" {
  # ListBuckets is part of every cycle; S3 has no way to scope it to a bucket.
  statement {
    sid       = "ListAllBuckets"
    actions   = ["s3:ListAllMyBuckets"]
    resources = ["*"]
  }

  statement {
    sid = "CanaryBuckets"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
    ]
    resources = [local.canary_bucket_arn]
  }

  statement {
    sid = "CanaryObjects"
    actions = [
      "s3:PutObject",
      "s3:GetObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = [local.canary_objects_arn]
  }

  # The durable set: listed when a prober starts, read back and rewritten; never deleted here.
  dynamic "statement" {
    for_each = length(local.durable_bucket_arns) == 0 ? [] : ["DurableBucket"]

    content {
      sid       = statement.value
      actions   = ["s3:CreateBucket", "s3:ListBucket"]
      resources = local.durable_bucket_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.durable_objects_arns) == 0 ? [] : ["DurableObjects"]

    content {
      sid       = statement.value
      actions   = ["s3:GetObject", "s3:PutObject"]
      resources = local.durable_objects_arns
    }
  }

  # Replication: objects written, polled, deleted, and old abandoned ones swept; the bucket stays.
  dynamic "statement" {
    for_each = length(local.replicated_bucket_arns) == 0 ? [] : ["ReplicatedBuckets"]

    content {
      sid       = statement.value
      actions   = ["s3:ListBucket"]
      resources = local.replicated_bucket_arns
    }
  }

  dynamic "statement" {
    for_each = length(local.replicated_objects_arns) == 0 ? [] : ["ReplicatedObjects"]

    content {
      sid       = statement.value
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = local.replicated_objects_arns
    }
  }
}

data "aws_iam_policy_document" "runtime" {
  statement {
    sid       = "ReadOwnParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = concat([aws_ssm_parameter.config.arn], [for p in values(var.secret_parameters) : "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${trimprefix(p, "/")}"])
  }

  # The AWS managed key aws/ssm needs no IAM grant; a customer key does, via SSM only.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "DecryptParametersViaSsm"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.ecr_repository_arn == null ? [] : [var.ecr_repository_arn]

    content {
      sid       = "PullImage"
      actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.ecr_repository_arn == null ? [] : [var.ecr_repository_arn]

    content {
      sid       = "EcrLogin"
      actions   = ["ecr:GetAuthorizationToken"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "canary" {
  name   = "s3-canary"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.canary.json
}

resource "aws_iam_role_policy" "runtime" {
  name   = "runtime"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.runtime.json
}
