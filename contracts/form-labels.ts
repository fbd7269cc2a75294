import type { Localized } from './messages.ts';

// What a person sees next to each field of the application form, in Chinese and English: its
// label, a hint (what to write, GOV.UK style: under the label), an example, and a label for every
// allowed value. Kept next to the schema it describes (contracts/application.ts) and checked against
// it: test/contracts/form-labels.test.ts fails when a field or an enum value has no label in either
// language, or when a label describes a field that no longer exists.
//
// Keys are field paths: "address.detail", "[]" for the items of a list ("shareholders[].name"), and
// "#<value>" for a field of one variant of a union ("shareholders[].name#company").

export interface FieldText {
  label: Localized;
  hint?: Localized;
  /** A valid value, as it would be typed. */
  example?: string | number;
}

export interface FormSection {
  id: string;
  title: Localized;
  hint?: Localized;
  /** The top-level fields of the form this section holds, in order. */
  fields: readonly string[];
  /** Shown only where a deployment enables a step that needs it (the section is optional in the contract). */
  optional?: boolean;
}

/** The sections of the application form, in the order a person fills them in. */
export const APPLICATION_FORM_SECTIONS: readonly FormSection[] = [
  {
    id: 'company',
    title: { en: 'The company', zh: '企业基本信息' },
    hint: { en: 'Name, type, registered capital, registered address and business scope', zh: '名称、类型、注册资本、住所、经营范围' },
    fields: ['companyName', 'entityType', 'registeredCapitalYuan', 'address', 'businessScope'],
  },
  { id: 'legalRepresentative', title: { en: 'Legal representative', zh: '法定代表人' }, fields: ['legalRepresentative'] },
  {
    id: 'shareholders',
    title: { en: 'Shareholders and contributions', zh: '股东及出资' },
    hint: { en: "The contributions add up to the registered capital", zh: '各股东认缴出资合计须等于注册资本' },
    fields: ['shareholders'],
  },
  { id: 'sealOrder', title: { en: 'Seals', zh: '印章' }, hint: { en: 'Engraved within half a working day, free of charge', zh: '半个工作日内刻制完成，免费' }, fields: ['sealOrder'] },
  { id: 'tax', title: { en: 'Tax and invoices', zh: '税务与发票' }, fields: ['tax'] },
  { id: 'socialInsurance', title: { en: 'Social insurance', zh: '社保' }, fields: ['socialInsurance'] },
  { id: 'bank', title: { en: 'Bank account', zh: '银行开户' }, fields: ['bank'] },
  { id: 'delivery', title: { en: 'Receiving your licence, seals and invoices', zh: '领取方式' }, fields: ['delivery'] },
  { id: 'housingFund', title: { en: 'Housing provident fund', zh: '住房公积金' }, fields: ['housingFund'], optional: true },
];

const ADDRESS_FIELDS = (prefix: string, where: Localized): Record<string, FieldText> => ({
  [`${prefix}.divisionCode`]: {
    label: { en: 'District or county', zh: '所在区县' },
    hint: { en: `6-digit administrative division code (GB/T 2260)${where.en}`, zh: `6 位行政区划代码（GB/T 2260）${where.zh}` },
    example: '411202',
  },
  [`${prefix}.detail`]: {
    label: { en: 'Street address', zh: '详细地址' },
    hint: { en: 'Street, number, floor and room', zh: '街道、门牌号、楼层和房间号' },
    example: '湖滨区黄河路 88 号 5 层 501 室',
  },
});

const ID_NUMBER: FieldText = {
  label: { en: 'Resident identity number', zh: '身份证号码' },
  hint: { en: '18 characters as on the identity card; the last may be X', zh: '18 位，与身份证一致，最后一位可能是“X”' },
  example: '411202198506123014',
};

export const APPLICATION_FORM_FIELDS: Readonly<Record<string, FieldText>> = {
  companyName: {
    label: { en: 'Company name', zh: '企业名称' },
    hint: { en: 'The full name to register: place, trade name, industry and legal form', zh: '拟登记的企业全称：行政区划 + 字号 + 行业 + 组织形式' },
    example: '三门峡黄河示范科技有限公司',
  },
  entityType: { label: { en: 'Type of company', zh: '企业类型' }, hint: { en: 'The legal form of the company', zh: '企业的组织形式' } },
  registeredCapitalYuan: {
    label: { en: 'Registered capital (yuan)', zh: '注册资本（元）' },
    hint: { en: "Whole yuan; equal to the sum of the shareholders' contributions", zh: '以元为单位的整数，须等于各股东认缴出资之和' },
    example: 1_000_000,
  },
  address: { label: { en: 'Registered address', zh: '住所' }, hint: { en: 'Must be in this city', zh: '须在本市范围内' } },
  ...ADDRESS_FIELDS('address', { en: ' of a district or county of this city', zh: '，须为本市的区县' }),
  businessScope: {
    label: { en: 'Business scope', zh: '经营范围' },
    hint: { en: 'In the standard wording of the business-scope catalogue, items separated by semicolons', zh: '按经营范围规范表述填写，各项之间用分号分隔' },
    example: '软件开发；信息技术咨询服务',
  },
  legalRepresentative: { label: { en: 'Legal representative', zh: '法定代表人' }, hint: { en: 'At least 18 years old', zh: '须年满 18 周岁' } },
  'legalRepresentative.name': { label: { en: 'Full name', zh: '姓名' }, hint: { en: 'As on the identity card', zh: '与身份证上的姓名一致' }, example: '张伟' },
  'legalRepresentative.idNumber': ID_NUMBER,
  'legalRepresentative.mobile': {
    label: { en: 'Mobile number', zh: '手机号码' },
    hint: { en: '11 digits; we send progress messages to it', zh: '11 位，用于接收办理进度提醒' },
    example: '13838800001',
  },
  shareholders: { label: { en: 'Shareholders', zh: '股东' }, hint: { en: 'One to fifty; a one-person company has one', zh: '1 至 50 名；一人有限责任公司只有一名股东' } },
  'shareholders[].kind': { label: { en: 'Shareholder type', zh: '股东类型' }, hint: { en: 'A person or a company', zh: '自然人或企业' } },
  'shareholders[].name#person': { label: { en: "Shareholder's full name", zh: '股东姓名' }, hint: { en: 'As on the identity card', zh: '与身份证上的姓名一致' }, example: '李娜' },
  'shareholders[].name#company': {
    label: { en: 'Name of the shareholding company', zh: '股东企业名称' },
    hint: { en: 'As on its business licence', zh: '与其营业执照上的名称一致' },
    example: '三门峡黄河示范投资有限公司',
  },
  'shareholders[].idNumber': ID_NUMBER,
  'shareholders[].creditCode': {
    label: { en: 'Unified Social Credit Code', zh: '统一社会信用代码' },
    hint: { en: '18 characters, on the business licence', zh: '18 位，见营业执照' },
    example: '91411202MA45R7K29W',
  },
  'shareholders[].contribution': { label: { en: 'Contribution', zh: '出资' } },
  'shareholders[].contribution.amountYuan': {
    label: { en: 'Subscribed contribution (yuan)', zh: '认缴出资额（元）' },
    hint: { en: 'Whole yuan', zh: '以元为单位的整数' },
    example: 700_000,
  },
  sealOrder: { label: { en: 'Seals', zh: '印章' } },
  'sealOrder.kinds': { label: { en: 'Seals to engrave', zh: '刻制印章' }, hint: { en: 'The company seal is always included', zh: '公章为必选' } },
  'sealOrder.material': { label: { en: 'Material', zh: '印章材质' }, hint: { en: 'One material for all seals', zh: '所有印章使用同一材质' } },
  'sealOrder.makerId': {
    label: { en: 'Seal maker', zh: '刻章企业' },
    hint: { en: 'Id of a licensed seal maker of your choice', zh: '自选的备案刻章企业编号' },
    example: 'SM0001',
  },
  'sealOrder.payment': {
    label: { en: 'Who pays', zh: '付费方式' },
    hint: {
      en: 'The city pays for the basic seals in the standard material; other seals or materials at the maker\'s published price',
      zh: '政府为新开办企业免费刻制基本印章（标准材质）；其他印章或材质按刻章企业公示价格自费',
    },
  },
  tax: { label: { en: 'Tax and invoices', zh: '税务与发票' } },
  'tax.taxpayerType': { label: { en: 'Taxpayer type', zh: '纳税人类型' }, hint: { en: 'Most new companies start small-scale', zh: '新办企业一般为小规模纳税人' } },
  'tax.invoices': { label: { en: 'First invoices', zh: '首次申领发票' }, hint: { en: 'One line per kind of invoice', zh: '每种发票填写一行' } },
  'tax.invoices[].kind': { label: { en: 'Kind of invoice', zh: '发票种类' }, hint: { en: 'Each kind once', zh: '每种发票只填一次' } },
  'tax.invoices[].quantity': { label: { en: 'Quantity', zh: '数量（份）' }, hint: { en: '1 to 100', zh: '1 至 100 份' }, example: 25 },
  socialInsurance: { label: { en: 'Social insurance', zh: '社保' } },
  'socialInsurance.employeeCount': { label: { en: 'Employees to insure', zh: '参保职工人数' }, hint: { en: '0 if none yet', zh: '暂无职工填 0' }, example: 8 },
  'socialInsurance.startMonth': { label: { en: 'First month of contributions', zh: '参保起始月份' }, hint: { en: 'YYYY-MM', zh: '格式为“YYYY-MM”' }, example: '2026-02' },
  bank: { label: { en: 'Bank account', zh: '银行开户' } },
  'bank.bankCode': { label: { en: 'Bank', zh: '开户银行' }, hint: { en: "The bank's short code in capital letters", zh: '银行简称代码（大写字母）' }, example: 'ICBC' },
  'bank.branch': { label: { en: 'Branch', zh: '开户网点' }, hint: { en: 'The branch where the account is opened', zh: '开立基本存款账户的网点' }, example: '中国工商银行三门峡湖滨支行' },
  delivery: { label: { en: 'Receiving your documents', zh: '领取方式' } },
  'delivery.method': { label: { en: 'How to receive them', zh: '领取方式' }, hint: { en: 'Licence, seals and invoices together', zh: '营业执照、印章、发票一并领取' } },
  'delivery.hall#pickup': { label: { en: 'Service hall', zh: '领取大厅' }, hint: { en: 'Where you collect everything', zh: '领取地点' }, example: '三门峡市政务服务中心' },
  'delivery.recipient#post': { label: { en: 'Recipient', zh: '收件人' }, hint: { en: 'Full name', zh: '收件人姓名' }, example: '张伟' },
  'delivery.mobile#post': { label: { en: "Recipient's mobile number", zh: '收件人手机号码' }, hint: { en: 'For the courier', zh: '供快递员联系' }, example: '13838800001' },
  'delivery.address#post': { label: { en: 'Delivery address', zh: '收件地址' }, hint: { en: 'Anywhere in China', zh: '全国范围' } },
  ...ADDRESS_FIELDS('delivery.address', { en: '', zh: '' }),
  'delivery.postcode#post': { label: { en: 'Postcode', zh: '邮政编码' }, hint: { en: '6 digits', zh: '6 位数字' }, example: '472000' },
  housingFund: { label: { en: 'Housing provident fund', zh: '住房公积金' } },
  'housingFund.depositRatePercent': { label: { en: 'Deposit rate (%)', zh: '缴存比例（%）' }, hint: { en: '5 to 12', zh: '5% 至 12%' }, example: 12 },
  'housingFund.employeeCount': { label: { en: 'Employees', zh: '缴存职工人数' }, hint: { en: '0 if none yet', zh: '暂无职工填 0' }, example: 8 },
};

/** Labels of the allowed values, by field path. */
export const APPLICATION_FORM_VALUES: Readonly<Record<string, Readonly<Record<string, Localized>>>> = {
  entityType: {
    limited_liability_company: { en: 'Limited liability company', zh: '有限责任公司' },
    one_person_llc: { en: 'One-person limited liability company', zh: '一人有限责任公司' },
    sole_proprietorship: { en: 'Sole proprietorship', zh: '个人独资企业' },
    partnership: { en: 'Partnership', zh: '合伙企业' },
  },
  'shareholders[].kind': {
    person: { en: 'A person', zh: '自然人' },
    company: { en: 'A company', zh: '企业' },
  },
  'sealOrder.kinds': {
    company: { en: 'Company seal', zh: '公章' },
    finance: { en: 'Finance seal', zh: '财务章' },
    invoice: { en: 'Invoice seal', zh: '发票章' },
    contract: { en: 'Contract seal', zh: '合同章' },
    legal_representative: { en: "Legal representative's seal", zh: '法人章' },
  },
  'sealOrder.material': {
    photosensitive: { en: 'Photosensitive', zh: '光敏' },
    rubber: { en: 'Rubber', zh: '橡胶' },
    copper: { en: 'Copper', zh: '铜质' },
  },
  'sealOrder.payment': {
    government: { en: 'Paid by the city (free)', zh: '政府买单（免费）' },
    applicant: { en: "I pay the maker's published price", zh: '自费（按公示价格）' },
  },
  'tax.taxpayerType': {
    small_scale: { en: 'Small-scale taxpayer', zh: '小规模纳税人' },
    general: { en: 'General taxpayer', zh: '一般纳税人' },
  },
  'tax.invoices[].kind': {
    vat_ordinary: { en: 'VAT ordinary invoice', zh: '增值税普通发票' },
    vat_special: { en: 'VAT special invoice', zh: '增值税专用发票' },
    e_invoice: { en: 'Electronic invoice', zh: '电子发票' },
  },
  'delivery.method': {
    pickup: { en: 'Collect at the service hall', zh: '窗口领取' },
    post: { en: 'Free postal delivery', zh: '免费邮寄' },
  },
};
