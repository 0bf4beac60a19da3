package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

func TestConfig_Validate(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tt := range []struct {
		name    string
		getenv  func(string) string
		wantErr string
	}{
		{"Defaults", env(), ""},
		{"ErrEnv", env("FPR_ENV", "prod"), "FPR_ENV"},
		{"ErrDatabase", env("FPR_DATABASE_URL", "mysql://x"), "FPR_DATABASE_URL"},
		{"ErrModeration", env("FPR_MODERATION", "later"), "FPR_MODERATION"},
		{"ErrLogFormat", env("FPR_LOG_FORMAT", "xml"), "FPR_LOG_FORMAT"},
		{"ErrWebhook", env("FPR_ALERT_WEBHOOK_URL", "ftp://x"), "FPR_ALERT_WEBHOOK_URL"},
		{"ErrSMTP", env("FPR_SMTP_URL", "http://mail"), "FPR_SMTP_URL"},
		{"TrustedProxies", env("FPR_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7"), ""},
		{"ErrTrustedProxies", env("FPR_TRUSTED_PROXIES", "10.0.0.0/33"), "FPR_TRUSTED_PROXIES"},
		{"RateLimits", env("FPR_RATE_LIMITS", "register=100/h,review=50/h,vote=600/h,flag=100/d,mail=10/h"), ""},
		{"RateLimitsOff", env("FPR_RATE_LIMITS", "off"), ""},
		{"ErrRateLimitsKind", env("FPR_RATE_LIMITS", "reviw=50/h"), `FPR_RATE_LIMITS "reviw=50/h": unknown kind "reviw"`},
		{"ErrRateLimitsWindow", env("FPR_RATE_LIMITS", "review=50/week"), `FPR_RATE_LIMITS "review=50/week": the window "week"`},
		{"StaffMFARequired", env("FPR_STAFF_MFA", "required"), ""},
		{"ErrStaffMFA", env("FPR_STAFF_MFA", "sometimes"), "FPR_STAFF_MFA"},
		{"ShutdownDrain", env("FPR_SHUTDOWN_DRAIN", "3s"), ""},
		{"ErrShutdownDrain", env("FPR_SHUTDOWN_DRAIN", "soon"), "FPR_SHUTDOWN_DRAIN"},
		{"ErrShutdownDrainNegative", env("FPR_SHUTDOWN_DRAIN", "-1s"), "FPR_SHUTDOWN_DRAIN"},
		{"TestCrashAt", env("FPR_TEST_CRASH_AT", "after_write"), ""},
		{"ErrTestCrashAtPoint", env("FPR_TEST_CRASH_AT", "somewhere"), "FPR_TEST_CRASH_AT"},
		{"ErrTestCrashAtProduction", env("FPR_ENV", "production", "FPR_BASE_URL", "https://fpr.example", "FPR_TEST_CRASH_AT", "after_write"), "FPR_TEST_CRASH_AT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := loadConfig(tt.getenv)
			err := c.finish()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("finish() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("finish() = %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}

	c := loadConfig(env("FPR_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.7"))
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[0] != want[0] || c.TrustedProxies[1] != want[1] {
		t.Errorf("TrustedProxies = %v, want %v", c.TrustedProxies, want)
	}
}

func TestConfig_CheckDeploy(t *testing.T) {
	c := loadConfig(func(k string) string {
		return map[string]string{"FPR_ENV": "production", "FPR_BASE_URL": "http://fpr.example"}[k]
	})
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	err := c.CheckDeploy()
	if err == nil || !strings.Contains(err.Error(), "https") || !strings.Contains(err.Error(), "FPR_ALERT_WEBHOOK_URL") {
		t.Errorf("CheckDeploy() = %v, want refusals of the http base URL and the missing webhook", err)
	}
	c.BaseURL, c.AlertWebhookURL = "https://fpr.example", "https://hooks.example/fpr"
	if err := c.CheckDeploy(); err != nil {
		t.Errorf("CheckDeploy() of a sound production config = %v, want nil", err)
	}
	if c.RateLimits == nil || len(c.RateLimits) != len(fpr.DefaultRateLimits) {
		t.Errorf("RateLimits = %v, want the defaults", c.RateLimits)
	}
	// Rate limits off are for load tests: refused for deployment, in any
	// environment.
	for _, env := range []string{"development", "production"} {
		off := loadConfig(func(k string) string {
			return map[string]string{"FPR_ENV": env, "FPR_BASE_URL": "https://fpr.example", "FPR_ALERT_WEBHOOK_URL": "https://hooks.example/fpr",
				"FPR_RATE_LIMITS": "off", "FPR_RELEASE": "r1", "FPR_LOG_FORMAT": "json"}[k]
		})
		if err := off.finish(); err != nil {
			t.Fatal(err)
		}
		if len(off.RateLimits) != 0 {
			t.Errorf("FPR_RATE_LIMITS=off gives %v, want no limits", off.RateLimits)
		}
		if err := off.CheckDeploy(); err == nil || !strings.Contains(err.Error(), "FPR_RATE_LIMITS=off") {
			t.Errorf("%s: CheckDeploy() with FPR_RATE_LIMITS=off = %v, want a refusal naming it", env, err)
		}
	}
}

func TestConfig_LogValueRedactsSecrets(t *testing.T) {
	c := loadConfig(func(k string) string {
		return map[string]string{
			"FPR_DATABASE_URL": "postgres://fpr:s3cret-db@db:5432/fpr",
			"FPR_SMTP_URL":     "smtp://mailer:s3cret-mail@mail:587",
		}[k]
	})
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	got := c.LogValue().String()
	if strings.Contains(got, "s3cret") {
		t.Errorf("Config.LogValue() = %s, leaks a password", got)
	}
}

// TestConfig_StaffMFA: two-factor for staff is required by default in
// production only, and check --deploy refuses turning it off there.
func TestConfig_StaffMFA(t *testing.T) {
	for _, tt := range []struct {
		env, set string
		want     fpr.StaffMFA
	}{
		{"production", "", fpr.StaffMFARequired},
		{"staging", "", fpr.StaffMFAOptional},
		{"development", "", fpr.StaffMFAOptional},
		{"development", "required", fpr.StaffMFARequired},
		{"production", "optional", fpr.StaffMFAOptional},
	} {
		c := loadConfig(func(k string) string {
			return map[string]string{"FPR_ENV": tt.env, "FPR_STAFF_MFA": tt.set}[k]
		})
		if err := c.finish(); err != nil {
			t.Fatal(err)
		}
		if c.StaffMFA != tt.want {
			t.Errorf("FPR_ENV=%s FPR_STAFF_MFA=%q: StaffMFA %q, want %q", tt.env, tt.set, c.StaffMFA, tt.want)
		}
		if got := c.appConfig(nil).StaffMFA; got != tt.want {
			t.Errorf("FPR_ENV=%s FPR_STAFF_MFA=%q: app config StaffMFA %q, want %q", tt.env, tt.set, got, tt.want)
		}
	}
	c := loadConfig(func(k string) string {
		return map[string]string{"FPR_ENV": "production", "FPR_BASE_URL": "https://fpr.example",
			"FPR_ALERT_WEBHOOK_URL": "https://hooks.example/fpr", "FPR_RELEASE": "r1", "FPR_STAFF_MFA": "optional"}[k]
	})
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckDeploy(); err == nil || !strings.Contains(err.Error(), "FPR_STAFF_MFA") {
		t.Errorf("CheckDeploy() with FPR_STAFF_MFA=optional in production = %v, want a refusal naming it", err)
	}
	c.StaffMFA = fpr.StaffMFARequired
	if err := c.CheckDeploy(); err != nil {
		t.Errorf("CheckDeploy() with FPR_STAFF_MFA=required = %v, want nil", err)
	}
}

// TestConfig_ShutdownDrainDefaults: 0 in development, 5 s elsewhere.
func TestConfig_ShutdownDrainDefaults(t *testing.T) {
	for env, want := range map[string]time.Duration{"development": 0, "staging": 5 * time.Second, "production": 5 * time.Second} {
		c := loadConfig(func(k string) string {
			return map[string]string{"FPR_ENV": env, "FPR_BASE_URL": "https://fpr.example"}[k]
		})
		if err := c.finish(); err != nil {
			t.Fatal(err)
		}
		if c.ShutdownDrain != want {
			t.Errorf("%s: ShutdownDrain = %v, want %v", env, c.ShutdownDrain, want)
		}
	}
}

// TestConfig_CheckDeployRefusesCrashHook: the crash test's hook is never
// part of a deployment, whatever the environment.
func TestConfig_CheckDeployRefusesCrashHook(t *testing.T) {
	c := loadConfig(func(k string) string {
		return map[string]string{"FPR_ENV": "staging", "FPR_BASE_URL": "https://fpr.example",
			"FPR_ALERT_WEBHOOK_URL": "https://hooks.example/fpr", "FPR_TEST_CRASH_AT": "after_commit"}[k]
	})
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckDeploy(); err == nil || !strings.Contains(err.Error(), "FPR_TEST_CRASH_AT") {
		t.Errorf("CheckDeploy() = %v, want FPR_TEST_CRASH_AT refused", err)
	}
}
