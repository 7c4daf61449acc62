using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Pipeliner.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class TestReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Reports",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    JobId = table.Column<string>(type: "TEXT", nullable: false),
                    Attempt = table.Column<int>(type: "INTEGER", nullable: false),
                    TestsTotal = table.Column<int>(type: "INTEGER", nullable: true),
                    TestsFailed = table.Column<int>(type: "INTEGER", nullable: true),
                    TestsErrored = table.Column<int>(type: "INTEGER", nullable: true),
                    TestsSkipped = table.Column<int>(type: "INTEGER", nullable: true),
                    TestsDurationMs = table.Column<long>(type: "INTEGER", nullable: true),
                    FindingErrors = table.Column<int>(type: "INTEGER", nullable: true),
                    FindingWarnings = table.Column<int>(type: "INTEGER", nullable: true),
                    FindingNotes = table.Column<int>(type: "INTEGER", nullable: true),
                    Problems = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Reports", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Reports_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ReportFailures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReportId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    ClassName = table.Column<string>(type: "TEXT", nullable: false),
                    Message = table.Column<string>(type: "TEXT", nullable: false),
                    StackTrace = table.Column<string>(type: "TEXT", nullable: false),
                    Errored = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportFailures", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReportFailures_Reports_ReportId",
                        column: x => x.ReportId,
                        principalTable: "Reports",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ReportFindings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReportId = table.Column<long>(type: "INTEGER", nullable: false),
                    Severity = table.Column<string>(type: "TEXT", nullable: false),
                    Rule = table.Column<string>(type: "TEXT", nullable: false),
                    Message = table.Column<string>(type: "TEXT", nullable: false),
                    Path = table.Column<string>(type: "TEXT", nullable: true),
                    Line = table.Column<int>(type: "INTEGER", nullable: true),
                    Column = table.Column<int>(type: "INTEGER", nullable: true),
                    Tool = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportFindings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReportFindings_Reports_ReportId",
                        column: x => x.ReportId,
                        principalTable: "Reports",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ReportFailures_ReportId",
                table: "ReportFailures",
                column: "ReportId");

            migrationBuilder.CreateIndex(
                name: "IX_ReportFindings_ReportId",
                table: "ReportFindings",
                column: "ReportId");

            migrationBuilder.CreateIndex(
                name: "IX_Reports_RunId_JobId_Attempt",
                table: "Reports",
                columns: new[] { "RunId", "JobId", "Attempt" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReportFailures");

            migrationBuilder.DropTable(
                name: "ReportFindings");

            migrationBuilder.DropTable(
                name: "Reports");
        }
    }
}
