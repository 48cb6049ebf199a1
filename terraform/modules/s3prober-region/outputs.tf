output "instance_id" {
  description = "EC2 instance running s3prober."
  value       = aws_instance.this.id
}

output "scrape_target" {
  description = "host:port for a Prometheus static_config (private IP; use the public one across VPCs)."
  value       = "${aws_instance.this.private_ip}:${var.scrape_port}"
}

output "public_scrape_target" {
  description = "host:port on the public IP, when the instance has one."
  value       = aws_instance.this.public_ip == "" ? null : "${aws_instance.this.public_ip}:${var.scrape_port}"
}

output "role_arn" {
  description = "IAM role of the instance (and of the container through IMDS)."
  value       = aws_iam_role.this.arn
}

output "security_group_id" {
  description = "Security group allowing the scrape port from scrape_cidrs."
  value       = aws_security_group.this.id
}

output "config_parameter_name" {
  description = "SSM parameter holding the s3prober configuration."
  value       = aws_ssm_parameter.config.name
}
